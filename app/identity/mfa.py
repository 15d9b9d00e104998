"""The staff second factor: TOTP (RFC 6238, 6 digits, 30-second steps) through ``pyotp``.

Each staff account has its own enrolment secret (base32, 160 bits). A code is accepted for the
current step or one step either side (phone clocks drift), and never twice: the last accepted
step is kept, so a code seen over a shoulder cannot be replayed.
"""
from __future__ import annotations

import hmac

import pyotp
from flask import current_app

from app import clock
from app.identity.models import StaffUser

DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh base32 enrolment secret (32 characters = 160 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(user: StaffUser) -> str:
    """The ``otpauth://`` URI an authenticator app reads (shown as a QR code at enrolment)."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=current_app.config["TOTP_ISSUER"])


def current_code(secret: str) -> str:
    """The code an authenticator shows now for ``secret`` (for enrolment scripts and tests)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(clock.now()))


def verify_and_consume(user: StaffUser, code: str) -> bool:
    """Whether ``code`` is valid for ``user`` now and not used before; marks its step used
    (inside the caller's transaction)."""
    if not user.totp_secret or not code or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = totp.timecode(clock.now())
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False
