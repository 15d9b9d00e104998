"""Rate limits on sign-in, login-code issue, scan and bind (Flask-Limiter).

A view method declares its limits with :func:`rate_limited`; each names a config key
``RATE_LIMIT_<NAME>`` (Flask-Limiter notation, e.g. ``"30/minute;300/day"``) and what it counts
per: the client address, the signed-in family member or staff account, or the username being
tried. Counters live in Redis when ``REDIS_URL`` is set (shared by every API process) and in
this process's memory otherwise; if Redis is down the limits fall back to memory rather than
failing the request. A refused request is HTTP 429 in the one error shape, with ``Retry-After``.

One :class:`~flask_limiter.Limiter` per app (``app.extensions["hsyjs_limiter"]``), not a
module-level one: a Limiter keeps its storage on itself, so two apps in one process (tests) would
otherwise share, and overwrite, each other's counters.
"""
from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

_MARK = "_hsyjs_rate_limits"


def _per_user() -> str:
    principal = g.get("principal")
    if principal is None:
        return "ip:" + get_remote_address()
    return f"{principal.kind}:{principal.subject}"


def _per_username() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    if not isinstance(username, str) or not username:
        return "ip:" + get_remote_address()
    # Counted per username *and* address: guessing from one place is slowed, but a stranger
    # elsewhere cannot lock a clerk out of the counter by failing on purpose (the second
    # factor stops guessing spread over many addresses).
    return "username:" + username.strip().lower()[:64] + "@" + get_remote_address()


KEYS = {"ip": lambda: "ip:" + get_remote_address(), "user": _per_user, "username": _per_username}


def rate_limited(name: str, *, per: str = "ip"):
    """Mark a view method as limited by config ``RATE_LIMIT_<NAME>`` counted ``per`` ``ip``,
    ``user`` (the signed-in caller) or ``username`` (the login being tried)."""
    if per not in KEYS:
        raise ValueError(f"unknown rate-limit key {per!r}")

    def decorator(view):
        setattr(view, _MARK, (*getattr(view, _MARK, ()), (name, per)))
        return view

    return decorator


def _limit_value(name: str):
    key = f"RATE_LIMIT_{name.upper()}"
    return lambda: current_app.config[key]


def _only_for(endpoints: set[str], hook):
    """``hook`` (a before-, after- or teardown-request function) run only for ``endpoints``; for
    any other request it passes the response (after-request) through untouched."""

    @wraps(hook)
    def gated(*args):
        if request.endpoint in endpoints:
            return hook(*args)
        return args[0] if args else None

    return gated


def init_app(app: Flask) -> None:
    """Bind a Limiter to ``app`` and apply every :func:`rate_limited` mark of its views.

    Call after the blueprints are registered. Raises ``KeyError`` at start-up for a mark whose
    ``RATE_LIMIT_<NAME>`` is not configured.
    """
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        strategy="fixed-window",
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        enabled=app.config["RATELIMIT_ENABLED"],
    )
    limited: set[str] = set()
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    existing = [list(funcs.get(None, ())) for funcs in hooks]
    limiter.init_app(app)
    # No default limits are set, so a view without a mark has nothing to count: Flask-Limiter's
    # request hooks run only for marked endpoints (on every other request they cost the family's
    # case poll ~0.07 ms of CPU, issue 9).
    for funcs, before in zip(hooks, existing):
        funcs[None] = before + [_only_for(limited, hook) for hook in funcs.get(None, [])[len(before):]]
    app.extensions["hsyjs_limiter"] = limiter
    for endpoint, view in list(app.view_functions.items()):
        view_class = getattr(view, "view_class", None)
        marks = []
        for method in sorted(getattr(view_class, "methods", None) or ()):
            marks += [(name, per, method) for name, per in getattr(getattr(view_class, method.lower(), None), _MARK, ())]
        if not marks:
            continue
        wrapped = view
        for name, per, method in marks:
            app.config[f"RATE_LIMIT_{name.upper()}"]  # noqa: B018 - fail at start-up, not per request
            wrapped = limiter.limit(_limit_value(name), key_func=KEYS[per], methods=[method], scope=name)(wrapped)
        app.view_functions[endpoint] = wrapped
        limited.add(endpoint)
