"""The platform (湘易办 / mini-program) identity provider: one-time code → real-name identity.

The adapter speaks an OAuth 2.0 authorization-code exchange over HTTPS: ``POST
{PLATFORM_BASE_URL}/oauth/token`` with ``{"grant_type": "authorization_code", "code"}`` and the
client credentials in HTTP Basic, answered by ``{"name", "id_number", "phone"}`` after the
platform's own real-name check. In sandbox mode the base URL defaults to this app's sandbox
platform (``/sandbox/platform``, registered only with ``SANDBOX`` on), reached over real HTTP
like the real one. Without ``PLATFORM_BASE_URL`` outside the sandbox, platform login is
unavailable. Codes are single-use and short-lived (the platform's rule; the sandbox: 5 minutes).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from app import outbound
from app.errors import ServiceUnavailable, Unauthorized
from app.standards.gb11643 import normalize_id_number

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlatformIdentity:
    name: str
    id_number: str
    phone: str


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("平台登录暂时不可用，请稍后再试", code="platform_unavailable")


def exchange_code(code: str) -> PlatformIdentity:
    """Redeem a one-time login code at the platform.

    Raises :class:`Unauthorized` (``invalid_login_code``) if the platform refuses the code
    (unknown, used or expired) and :class:`ServiceUnavailable` when it cannot be reached,
    refuses our client credentials or answers something unusable.
    """
    cfg = current_app.config
    if not cfg["PLATFORM_BASE_URL"]:
        raise _unavailable()
    try:
        response = outbound.request(
            "POST", f"{cfg['PLATFORM_BASE_URL']}/oauth/token",
            json={"grant_type": "authorization_code", "code": code},
            basic_auth=(cfg["PLATFORM_CLIENT_ID"], cfg["PLATFORM_CLIENT_SECRET"]),
            timeout=cfg["PLATFORM_TIMEOUT_SECONDS"],
        )
    except outbound.RequestError as exc:
        log.warning("platform code exchange failed: %s", exc)
        raise _unavailable() from None
    if response.status == 400:
        raise Unauthorized("登录码无效或已过期，请重新登录", code="invalid_login_code")
    if response.status != 200:
        # 401 here means our client credentials are wrong: an operator problem, not the user's.
        log.error("platform code exchange answered HTTP %s", response.status)
        raise _unavailable()
    try:
        body = response.json_object()
        identity = PlatformIdentity(name=str(body["name"]).strip(), id_number=normalize_id_number(str(body["id_number"])),
                                    phone=str(body["phone"]).strip())
    except (ValueError, KeyError, TypeError):
        log.error("platform code exchange answered an unusable body")
        raise _unavailable() from None
    if not identity.name or len(identity.id_number) != 18:
        log.error("platform code exchange answered an incomplete identity")
        raise _unavailable()
    return identity
