"""Request authentication: the bearer token becomes ``g.principal``."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from app.errors import Forbidden, Unauthorized
from app.identity.tokens import Principal, decode, principal_from_claims

BEARER = [{"bearerAuth": []}]


def current_principal(required: bool = True) -> Principal | None:
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        if required:
            raise Unauthorized()
        return None
    g.principal = principal_from_claims(decode(header[7:].strip(), typ="access"))
    return g.principal


def login_required(*, kinds: tuple[str, ...] = ("family", "staff"), roles: tuple[str, ...] | None = None):
    """View decorator: a valid access token of one of ``kinds`` (and, for staff, ``roles``)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal.kind not in kinds:
                raise Forbidden()
            if principal.kind == "staff" and roles is not None and principal.role not in roles:
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorator
