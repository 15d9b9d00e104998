"""JWT access and refresh tokens (HS256 pinned; ``iss``, ``aud``, ``exp``, ``iat``, ``sub`` required).

Access tokens live ``ACCESS_TOKEN_SECONDS`` (default 15 minutes). Refresh tokens are single-use:
each use rotates them, and a reused one revokes its whole family (see ``service.refresh``).
Every token names its login session (``sid``, the refresh family) so a sign-out or a detected
reuse ends the session's access tokens at once (``revocation``).

Keys rotate without logging anyone out: ``JWT_KEYS`` holds ``{kid: secret}``, the ``kid`` header
picks the verifying key and ``JWT_KEY_ID`` names the one that signs new tokens.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import jwt
from flask import current_app

from app import clock
from app.errors import Unauthorized

ALGORITHM = "HS256"
REQUIRED = ["exp", "iat", "iss", "aud", "sub", "typ", "sid"]
#: Clock difference tolerated between servers, in seconds, for ``exp``, ``nbf`` and ``iat``.
LEEWAY_SECONDS = 10
KINDS = ("family", "staff")


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``kind`` ``family`` (``subject`` = FamilyUser.id) or ``staff``
    (``subject`` = StaffUser.id as text) with the staff role and scope; ``session_id`` is the
    login session the token belongs to."""

    kind: str
    subject: str
    role: str | None = None
    window_id: str | None = None
    department: str | None = None
    county_code: str | None = None
    session_id: str | None = None


def _invalid() -> Unauthorized:
    # One answer for every reason: a forger learns nothing from it.
    return Unauthorized("登录已失效，请重新登录", code="invalid_token")


def _encode(claims: dict, seconds: int) -> str:
    cfg = current_app.config
    kid = cfg["JWT_KEY_ID"]
    now = int(clock.now().timestamp())
    body = {"iss": cfg["JWT_ISSUER"], "aud": cfg["JWT_AUDIENCE"], "iat": now, "exp": now + seconds, **claims}
    return jwt.encode(body, cfg["JWT_KEYS"][kid], algorithm=ALGORITHM, headers={"kid": kid})


def encode_access(principal: Principal, *, session_id: str) -> str:
    """An access token for ``principal`` in login session ``session_id``."""
    claims = {"sub": principal.subject, "typ": "access", "knd": principal.kind, "sid": session_id}
    if principal.kind == "staff":
        claims.update(rol=principal.role, win=principal.window_id, dep=principal.department, cty=principal.county_code)
    return _encode(claims, current_app.config["ACCESS_TOKEN_SECONDS"])


def encode_refresh(principal: Principal, *, family: str) -> tuple[str, str]:
    """A refresh token and its ``jti``; ``family`` ties rotations of one login together and is
    also the session id (``sid``) of the access tokens issued with it."""
    jti = uuid.uuid4().hex
    token = _encode(
        {"sub": principal.subject, "typ": "refresh", "knd": principal.kind, "jti": jti, "fam": family, "sid": family},
        current_app.config["REFRESH_TOKEN_SECONDS"],
    )
    return token, jti


def _key_for(token: str, keys: dict) -> str:
    header = jwt.get_unverified_header(token)
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in keys or header.get("alg") != ALGORITHM:
        raise jwt.InvalidTokenError("unknown key or algorithm")
    return keys[kid]


#: Tokens whose signature and issuer/audience were verified, kept so a family's app polling with
#: one access token is not verified again on every request (PyJWT takes ~0.2 ms a token here).
#: Only tokens that verified are kept; time limits, type and revocation are checked every time.
VERIFIED_TOKENS_KEPT = 1024


@lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified(token: str, keys: tuple, audience: str, issuer: str) -> MappingProxyType:
    claims = jwt.decode(
        token,
        _key_for(token, dict(keys)),
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=issuer,
        # exp/iat/nbf are checked by decode() against app.clock (one clock for the whole product).
        options={"require": REQUIRED, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    return MappingProxyType(claims)


def decode(token: str, *, typ: str) -> dict:
    """Verified claims of ``token``; raises :class:`Unauthorized` for any invalid, expired,
    not-yet-valid or wrong-type token (the reason is not told to the caller)."""
    cfg = current_app.config
    try:
        claims = dict(_verified(token, tuple(sorted(cfg["JWT_KEYS"].items())), cfg["JWT_AUDIENCE"], cfg["JWT_ISSUER"]))
    except jwt.PyJWTError:
        raise _invalid() from None
    if claims.get("typ") != typ or claims.get("knd", "family") not in KINDS:
        raise _invalid()
    now = int(clock.now().timestamp())
    exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf")
    if not all(isinstance(v, int) for v in (exp, iat)) or (nbf is not None and not isinstance(nbf, int)):
        raise _invalid()
    if exp <= now - LEEWAY_SECONDS or iat > now + LEEWAY_SECONDS or (nbf is not None and nbf > now + LEEWAY_SECONDS):
        raise _invalid()
    if not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str) or not claims["sid"]:
        raise _invalid()
    return claims


def principal_from_claims(claims: dict) -> Principal:
    return Principal(
        kind=claims.get("knd", "family"),
        subject=str(claims["sub"]),
        role=claims.get("rol"),
        window_id=claims.get("win"),
        department=claims.get("dep"),
        county_code=claims.get("cty"),
        session_id=claims.get("sid"),
    )
