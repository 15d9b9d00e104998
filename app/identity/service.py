"""Sign-in: the platform's one-time code for families, password and TOTP for staff; token
rotation, sign-out and the staff second factor's enrolment."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock
from app.errors import Conflict, Forbidden, RuleViolation, ServiceUnavailable, Unauthorized
from app.extensions import db
from app.privacy.crypto import id_number_index
from app.identity import mfa, platform, revocation
from app.identity.auth import staff_principal
from app.identity.models import FamilyUser, RefreshToken, StaffUser
from app.identity.tokens import Principal, decode, encode_access, encode_refresh

_BAD_CREDENTIALS = "用户名、密码或动态口令不正确"
#: One scrypt check of a staff password at a time in each process: each takes 32 MiB for about
#: 0.1 s (Werkzeug's scrypt:32768:8:1), so a burst of logins on a worker's threads would otherwise
#: add 32 MiB each to its memory at once (docs/BENCHMARKS.md, memory).
_PASSWORD_CHECK = threading.BoundedSemaphore(1)
#: How long a login waits for its turn before it is told to try again (seconds).
PASSWORD_CHECK_WAIT_SECONDS = 5.0


def _password_matches(password_hash: str, password: str) -> bool:
    """``check_password_hash``, one at a time in this process. Raises :class:`ServiceUnavailable`
    when the turn does not come within :data:`PASSWORD_CHECK_WAIT_SECONDS`."""
    if not _PASSWORD_CHECK.acquire(timeout=PASSWORD_CHECK_WAIT_SECONDS):
        raise ServiceUnavailable("登录的人较多，请稍后再试")
    try:
        return check_password_hash(password_hash, password)
    finally:
        _PASSWORD_CHECK.release()


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
        "access_token": encode_access(principal, session_id=family),
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": current_app.config["ACCESS_TOKEN_SECONDS"],
    }


def platform_login(*, code: str) -> dict:
    """Exchange the platform's one-time login ``code`` for our tokens.

    The platform did the real-name check (``platform.exchange_code``, an HTTP call); we keep
    name, ID number (GB 11643) and phone. Out: ``{access_token, refresh_token, token_type,
    expires_in (seconds), user: {id, name}}``. Raises :class:`Unauthorized` for an unknown, used
    or expired code and :class:`ServiceUnavailable` when the platform cannot be reached.
    """
    identity = platform.exchange_code(code)
    user = db.session.execute(
        db.select(FamilyUser).filter_by(id_number_index=id_number_index(identity.id_number))
    ).scalar_one_or_none()
    if user is None:
        user = FamilyUser(name=identity.name, id_number=identity.id_number, phone=identity.phone)
        db.session.add(user)
    else:
        user.name, user.phone = identity.name, identity.phone
    db.session.flush()
    tokens = _issue(Principal(kind="family", subject=user.id))
    db.session.commit()
    return {**tokens, "user": {"id": user.id, "name": user.name}}


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    # Checked for unknown usernames so that their answer takes as long as a wrong password.
    return generate_password_hash(uuid.uuid4().hex)


def _staff_answer(user: StaffUser, tokens: dict) -> dict:
    return {
        **tokens,
        "staff": {"id": user.id, "display_name": user.display_name, "role": user.role, "window_id": user.window_id,
                  "department": user.department, "county_code": user.county_code,
                  "totp_enrolled": user.totp_confirmed_at is not None},
    }


def staff_login(*, username: str, password: str, totp_code: str | None = None) -> dict:
    """Staff credentials (password hashed with scrypt; TOTP code when enrolled) → tokens
    carrying role and scope (window, department, county).

    With ``STAFF_TOTP_REQUIRED`` (the default outside the sandbox) an account without a
    confirmed TOTP enrolment cannot sign in. Raises :class:`Unauthorized`: ``bad_credentials``,
    ``totp_required`` (password right, code missing), ``totp_not_enrolled``.
    """
    user = db.session.execute(db.select(StaffUser).filter_by(username=username)).scalar_one_or_none()
    if user is None:
        _password_matches(_decoy_hash(), password)
        raise Unauthorized(_BAD_CREDENTIALS, code="bad_credentials")
    if not _password_matches(user.password_hash, password) or not user.active:
        raise Unauthorized(_BAD_CREDENTIALS, code="bad_credentials")
    if user.totp_confirmed_at is not None:
        if not totp_code:
            raise Unauthorized("请输入身份验证器上的6位动态口令", code="totp_required",
                               errors={"totp_code": ["请输入6位动态口令"]})
        if not mfa.verify_and_consume(user, totp_code):
            db.session.rollback()
            raise Unauthorized(_BAD_CREDENTIALS, code="bad_credentials")
    elif current_app.config["STAFF_TOTP_REQUIRED"]:
        raise Unauthorized("该账号尚未绑定动态口令，请联系管理员绑定后再登录", code="totp_not_enrolled")
    tokens = _issue(staff_principal(user))
    db.session.commit()
    return _staff_answer(user, tokens)


def refresh(*, refresh_token: str) -> dict:
    """Rotate a refresh token. Reusing an already-used one revokes its whole family (the login
    session), including the access tokens already issued in it.

    Raises :class:`Unauthorized` for an invalid, expired, used or revoked token.
    """
    claims = decode(refresh_token, typ="refresh")
    row = db.session.get(RefreshToken, claims.get("jti"))
    if row is None or row.revoked_at is not None or row.family != claims.get("fam"):
        raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
    now = clock.now()
    if row.used_at is not None:
        # Someone holds a copy of a rotated token: end every token of this login.
        revocation.revoke_session(sid=row.family, subject=row.subject, reason="refresh_reuse")
        db.session.commit()
        raise Unauthorized("登录已失效，请重新登录", code="token_reused")
    row.used_at = now
    kind, subject = row.subject.split(":", 1)
    if kind == "staff":
        user = db.session.get(StaffUser, int(subject))
        if user is None or not user.active:
            raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
        principal = staff_principal(user)
    else:
        principal = Principal(kind="family", subject=subject)
    tokens = _issue(principal, family=row.family)
    db.session.commit()
    return tokens


def logout(*, principal: Principal, everywhere: bool = False) -> None:
    """Sign out: end the caller's login session (or, with ``everywhere``, every session of the
    account). The access token in hand and every refresh token of the session stop working at
    once (checked server-side on each request)."""
    subject = f"{principal.kind}:{principal.subject}"
    if everywhere:
        revocation.revoke_all_sessions(subject=subject, reason="logout_everywhere")
    if principal.session_id:
        revocation.revoke_session(sid=principal.session_id, subject=subject, reason="logout")
    db.session.commit()


def _staff_user(principal: Principal) -> StaffUser:
    if principal.kind != "staff":
        raise Forbidden("只有工作人员需要绑定动态口令")
    return db.session.get(StaffUser, int(principal.subject))


def start_totp_enrolment(*, principal: Principal) -> dict:
    """Start binding an authenticator app to the signed-in staff account.

    Out: ``{secret (base32), otpauth_uri}`` — shown once, as a QR code. Raises :class:`Conflict`
    if the account already has a confirmed TOTP (an operator re-enrols it with
    ``flask staff totp-enrol``)."""
    user = _staff_user(principal)
    if user.totp_confirmed_at is not None:
        raise Conflict("该账号已绑定动态口令，如需更换请联系管理员", code="totp_already_enrolled")
    user.totp_secret, user.totp_last_step = mfa.new_secret(), None
    db.session.commit()
    return {"secret": user.totp_secret, "otpauth_uri": mfa.provisioning_uri(user)}


def confirm_totp_enrolment(*, principal: Principal, totp_code: str) -> dict:
    """Confirm the enrolment with a first code; from then on every sign-in needs a code.

    Raises :class:`Conflict` without a started enrolment, :class:`RuleViolation` for a wrong code."""
    user = _staff_user(principal)
    if user.totp_confirmed_at is not None or not user.totp_secret:
        raise Conflict("请先开始绑定动态口令", code="totp_not_started")
    if not mfa.verify_and_consume(user, totp_code):
        db.session.rollback()
        raise RuleViolation("动态口令不正确", errors={"totp_code": ["动态口令不正确，请核对手机时间后重试"]},
                            code="bad_totp")
    user.totp_confirmed_at = clock.now()
    db.session.commit()
    return {"totp_enrolled": True}
