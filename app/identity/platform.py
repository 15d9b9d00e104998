"""The platform (湘易办 / mini-program) identity provider: one-time code → real-name identity.

In sandbox mode the sandbox platform (``app.sandbox``) plays the provider. A production
adapter for the real platform's code exchange plugs in here.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.errors import Unauthorized


@dataclass(frozen=True)
class PlatformIdentity:
    name: str
    id_number: str
    phone: str


def exchange_code(code: str) -> PlatformIdentity:
    """Redeem a one-time login code. Raises :class:`Unauthorized` if it is not valid."""
    if not current_app.config["SANDBOX"]:
        raise Unauthorized("平台登录尚未接入", code="platform_unavailable")
    from app.sandbox import service as sandbox  # sandbox mode only

    found = sandbox.redeem_login_code(code)
    if found is None:
        raise Unauthorized("登录码无效或已过期，请重新登录", code="invalid_login_code")
    return PlatformIdentity(name=found.name, id_number=found.id_number, phone=found.phone)
