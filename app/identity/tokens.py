"""JWT access and refresh tokens (HS256 pinned; ``iss``, ``aud``, ``exp``, ``iat``, ``sub`` required).

Access tokens live ``ACCESS_TOKEN_SECONDS`` (default 15 minutes). Refresh tokens are single-use:
each use rotates them, and a reused one revokes its whole family (see ``service.refresh``).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import jwt
from flask import current_app

from app import clock
from app.errors import Unauthorized

ALGORITHM = "HS256"
REQUIRED = ["exp", "iat", "iss", "aud", "sub", "typ"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``kind`` ``family`` (``subject`` = FamilyUser.id) or ``staff``
    (``subject`` = StaffUser.id as text) with the staff role and scope."""

    kind: str
    subject: str
    role: str | None = None
    window_id: str | None = None
    department: str | None = None
    county_code: str | None = None


def _encode(claims: dict, seconds: int) -> str:
    cfg = current_app.config
    now = int(clock.now().timestamp())
    body = {"iss": cfg["JWT_ISSUER"], "aud": cfg["JWT_AUDIENCE"], "iat": now, "exp": now + seconds, **claims}
    return jwt.encode(body, cfg["JWT_SECRET"], algorithm=ALGORITHM, headers={"kid": cfg["JWT_KEY_ID"]})


def encode_access(principal: Principal) -> str:
    claims = {"sub": principal.subject, "typ": "access", "knd": principal.kind}
    if principal.kind == "staff":
        claims.update(rol=principal.role, win=principal.window_id, dep=principal.department, cty=principal.county_code)
    return _encode(claims, current_app.config["ACCESS_TOKEN_SECONDS"])


def encode_refresh(principal: Principal, *, family: str) -> tuple[str, str]:
    """A refresh token and its ``jti``; ``family`` ties rotations of one login together."""
    jti = uuid.uuid4().hex
    token = _encode(
        {"sub": principal.subject, "typ": "refresh", "knd": principal.kind, "jti": jti, "fam": family},
        current_app.config["REFRESH_TOKEN_SECONDS"],
    )
    return token, jti


def decode(token: str, *, typ: str) -> dict:
    """Verified claims of ``token``; raises :class:`Unauthorized` for any invalid, expired or
    wrong-type token (the reason is not told to the caller)."""
    cfg = current_app.config
    try:
        claims = jwt.decode(
            token,
            cfg["JWT_SECRET"],
            algorithms=[ALGORITHM],
            audience=cfg["JWT_AUDIENCE"],
            issuer=cfg["JWT_ISSUER"],
            # exp/iat are checked below against app.clock (one clock for the whole product).
            options={"require": REQUIRED, "verify_exp": False, "verify_iat": False},
            leeway=0,
        )
    except jwt.PyJWTError:
        raise Unauthorized("登录已失效，请重新登录", code="invalid_token") from None
    if claims.get("typ") != typ:
        raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
    now = int(clock.now().timestamp())
    if not isinstance(claims["exp"], int) or claims["exp"] <= now or claims["iat"] > now + 60:
        raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
    return claims


def principal_from_claims(claims: dict) -> Principal:
    return Principal(
        kind=claims.get("knd", "family"),
        subject=str(claims["sub"]),
        role=claims.get("rol"),
        window_id=claims.get("win"),
        department=claims.get("dep"),
        county_code=claims.get("cty"),
    )
