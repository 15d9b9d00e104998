"""Request authentication: the bearer token becomes ``g.principal``.

A view marked with :func:`login_required` is authenticated in a ``before_request`` hook, before
its body or query is parsed, so an anonymous caller gets the same 401 whatever it sends and
learns nothing about the endpoint's fields. Every access token is checked against the revoked
sessions; a staff member's role and scope come from the database on each request, so a
deactivated account or a changed scope takes effect at once.

A view may name Redis keys it is about to read (``login_required(prefetch=…)``): they are read in
the same round trip as the revocation check and left in ``g.redis_prefetched`` (``{key: bytes |
None}``). The family's case poll needs one round trip instead of two this way.
"""
from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, g, request

from app.errors import Forbidden, Unauthorized
from app.extensions import db
from app.identity import revocation
from app.identity.models import StaffUser
from app.identity.tokens import Principal, decode, principal_from_claims

BEARER = [{"bearerAuth": []}]
_RULE = "_hsyjs_login_rule"


def staff_principal(user: StaffUser, *, session_id: str | None = None) -> Principal:
    """The principal of a staff account, with its role and scope as stored now."""
    return Principal(
        kind="staff",
        subject=str(user.id),
        role=user.role,
        window_id=user.window_id,
        department=user.department,
        county_code=user.county_code,
        session_id=session_id,
    )


def current_principal(required: bool = True, *, prefetch: tuple[str, ...] = ()) -> Principal | None:
    """The caller. Raises :class:`Unauthorized` for a missing (when ``required``), invalid,
    expired or revoked token, or a staff account that is no longer active. ``prefetch``: Redis
    keys read with the revocation check (module docstring)."""
    if "principal" in g:
        return g.principal
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        if required:
            raise Unauthorized()
        return None
    claims = decode(token, typ="access")
    revoked, prefetched = revocation.is_revoked_reading(claims["sid"], prefetch)
    if revoked:
        raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
    if prefetched is not None:
        g.redis_prefetched = prefetched
    principal = principal_from_claims(claims)
    if principal.kind == "staff":
        user = db.session.get(StaffUser, int(principal.subject)) if principal.subject.isdigit() else None
        if user is None or not user.active:
            raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
        principal = staff_principal(user, session_id=principal.session_id)
    g.principal = principal
    return principal


def _check(kinds: tuple[str, ...], roles: tuple[str, ...] | None, prefetch: tuple[str, ...] = ()) -> Principal:
    principal = current_principal(prefetch=prefetch)
    if principal.kind not in kinds:
        raise Forbidden()
    if principal.kind == "staff" and roles is not None and principal.role not in roles:
        raise Forbidden()
    return principal


def login_required(*, kinds: tuple[str, ...] = ("family", "staff"), roles: tuple[str, ...] | None = None,
                   prefetch=None):
    """View decorator: a valid access token of one of ``kinds`` (and, for staff, ``roles``).

    Raises :class:`Unauthorized` (401) without a valid token and :class:`Forbidden` (403) for a
    caller of another kind or role — the same answer whatever id the path names.
    ``prefetch(view_args) -> tuple of Redis keys`` the view will read (module docstring).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _check(kinds, roles)  # already done before the request: g.principal
            return view(*args, **kwargs)

        # functools.wraps copies this mark onto the flask-smorest wrappers around the view.
        setattr(wrapper, _RULE, (kinds, roles, prefetch))
        return wrapper

    return decorator


def _login_rule_of_request():
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return getattr(view, _RULE, None)
    method = "get" if request.method == "HEAD" else request.method.lower()
    return getattr(getattr(view_class, method, None), _RULE, None)


def _authenticate_first() -> None:
    rule = _login_rule_of_request()
    if rule is not None:
        kinds, roles, prefetch = rule
        _check(kinds, roles, tuple(prefetch(request.view_args or {})) if prefetch else ())


def init_app(app: Flask) -> None:
    """Authenticate marked views before anything else reads the request."""
    app.before_request(_authenticate_first)
