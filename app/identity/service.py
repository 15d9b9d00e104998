"""Sign-in: the platform's one-time code for families, password for staff; token rotation."""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from werkzeug.security import check_password_hash

from app import clock
from app.errors import Unauthorized
from app.extensions import db
from app.identity import platform
from app.identity.models import FamilyUser, RefreshToken, StaffUser
from app.identity.tokens import Principal, decode, encode_access, encode_refresh


def _issue(principal: Principal, *, family: str | None = None) -> dict:
    family = family or uuid.uuid4().hex
    refresh, jti = encode_refresh(principal, family=family)
    db.session.add(
        RefreshToken(
            jti=jti,
            family=family,
            subject=f"{principal.kind}:{principal.subject}",
            expires_at=clock.now() + timedelta(seconds=current_app.config["REFRESH_TOKEN_SECONDS"]),
        )
    )
    return {
        "access_token": encode_access(principal),
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": current_app.config["ACCESS_TOKEN_SECONDS"],
    }


def staff_principal(user: StaffUser) -> Principal:
    return Principal(
        kind="staff",
        subject=str(user.id),
        role=user.role,
        window_id=user.window_id,
        department=user.department,
        county_code=user.county_code,
    )


def platform_login(*, code: str) -> dict:
    """Exchange the platform's one-time login ``code`` for our tokens.

    The platform did the real-name check; we keep name, ID number (GB 11643) and phone.
    Out: ``{access_token, refresh_token, token_type, expires_in (seconds), user}``.
    Raises :class:`Unauthorized` for an unknown, used or expired code.
    """
    identity = platform.exchange_code(code)
    user = db.session.execute(db.select(FamilyUser).filter_by(id_number=identity.id_number)).scalar_one_or_none()
    if user is None:
        user = FamilyUser(name=identity.name, id_number=identity.id_number, phone=identity.phone)
        db.session.add(user)
    else:
        user.name, user.phone = identity.name, identity.phone
    db.session.flush()
    tokens = _issue(Principal(kind="family", subject=user.id))
    db.session.commit()
    return {**tokens, "user": {"id": user.id, "name": user.name}}


def staff_login(*, username: str, password: str) -> dict:
    """Staff credentials → tokens carrying role and scope. Raises :class:`Unauthorized`."""
    user = db.session.execute(db.select(StaffUser).filter_by(username=username)).scalar_one_or_none()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        raise Unauthorized("用户名或密码不正确", code="bad_credentials")
    tokens = _issue(staff_principal(user))
    db.session.commit()
    return {
        **tokens,
        "staff": {"id": user.id, "display_name": user.display_name, "role": user.role, "window_id": user.window_id,
                  "department": user.department, "county_code": user.county_code},
    }


def refresh(*, refresh_token: str) -> dict:
    """Rotate a refresh token. Reusing an already-used one revokes its whole family.

    Raises :class:`Unauthorized` for an invalid, expired, used or revoked token.
    """
    claims = decode(refresh_token, typ="refresh")
    row = db.session.get(RefreshToken, claims.get("jti"))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
    now = clock.now()
    if row.used_at is not None:
        # Someone holds a copy of a rotated token: end every session of this login.
        db.session.execute(
            db.update(RefreshToken).where(RefreshToken.family == row.family).values(revoked_at=now)
        )
        db.session.commit()
        raise Unauthorized("登录已失效，请重新登录", code="token_reused")
    row.used_at = now
    kind, subject = row.subject.split(":", 1)
    if kind == "staff":
        user = db.session.get(StaffUser, int(subject))
        if user is None or not user.active:
            raise Unauthorized()
        principal = staff_principal(user)
    else:
        principal = Principal(kind="family", subject=subject)
    tokens = _issue(principal, family=row.family)
    db.session.commit()
    return tokens
