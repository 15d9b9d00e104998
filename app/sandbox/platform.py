"""The sandbox platform's token endpoint: what 湘易办 would answer to our code exchange.

Sandbox mode only (the blueprint is registered only with ``SANDBOX`` on). It checks our client
credentials like the real platform, redeems the one-time code once and answers the real-name
identity the code was issued for.
"""
from __future__ import annotations

import hmac

from flask import current_app

from app.errors import DomainError, Unauthorized
from app.extensions import db
from app.sandbox.service import redeem_login_code


class InvalidGrant(DomainError):
    """OAuth 2.0 ``invalid_grant``: the code is unknown, used or expired (HTTP 400)."""

    status, code, message = 400, "invalid_grant", "登录码无效或已过期"


def exchange_code(*, code: str, client_id: str | None, client_secret: str | None) -> dict:
    """Redeem ``code`` for ``{"name", "id_number", "phone"}``.

    Raises :class:`Unauthorized` (401, ``invalid_client``) for wrong client credentials and
    :class:`InvalidGrant` (400) for an unknown, used or expired code.
    """
    cfg = current_app.config
    if client_id != cfg["PLATFORM_CLIENT_ID"] or not hmac.compare_digest(
        (client_secret or "").encode(), cfg["PLATFORM_CLIENT_SECRET"].encode()
    ):
        raise Unauthorized("客户端凭据不正确", code="invalid_client")
    row = redeem_login_code(code)
    if row is None:
        db.session.rollback()
        raise InvalidGrant()
    identity = {"name": row.name, "id_number": row.id_number, "phone": row.phone}
    db.session.commit()
    return identity
