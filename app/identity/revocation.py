"""The server-side list of ended login sessions, checked on every access token.

A session (``sid``, the refresh-token family) ends on sign-out or when a reused refresh token
shows that someone holds a copy. The database table ``revoked_sessions`` is the record on every
deployment; with ``REDIS_URL`` set each revocation is also written to Redis and requests check
Redis only (no database round trip per request). If Redis cannot be reached the check falls
back to the table, so an outage neither lets a revoked token in nor fails the request.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from app import clock, tracked_keys
from app.extensions import db
from app.identity.models import RefreshToken, RevokedSession
from app.identity.tokens import LEEWAY_SECONDS

log = logging.getLogger(__name__)
#: Redis key of an ended session: this prefix + its ``sid``; the value is the reason.
KEY_PREFIX = "hsyjs:revoked-session:"


def _redis():
    """The app's Redis client for revocations, or ``None`` on the embedded default."""
    app = current_app._get_current_object()
    if not app.config["REDIS_URL"]:
        return None
    client = app.extensions.get("hsyjs_revocations_redis")
    if client is None:
        from redis import Redis

        client = Redis.from_url(app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5)
        app.extensions["hsyjs_revocations_redis"] = client
    return client


def _ttl_seconds() -> int:
    # Once every access token issued before the revocation has expired, the entry can go.
    return current_app.config["ACCESS_TOKEN_SECONDS"] + LEEWAY_SECONDS + 60


def revoke_session(*, sid: str, subject: str, reason: str) -> None:
    """End login session ``sid`` of ``subject`` (``"family:<id>"`` / ``"staff:<id>"``) inside the
    caller's transaction: its refresh tokens stop rotating and its access tokens are refused.
    ``reason``: ``logout`` | ``refresh_reuse`` | ``logout_everywhere``."""
    now = clock.now()
    # Entries no access token can need any more go as new ones come: the list stays small.
    db.session.execute(db.delete(RevokedSession).where(RevokedSession.expires_at <= now))
    db.session.execute(
        db.update(RefreshToken).where(RefreshToken.family == sid, RefreshToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    if db.session.get(RevokedSession, sid) is None:
        db.session.add(RevokedSession(sid=sid, subject=subject, reason=reason, revoked_at=now,
                                      expires_at=now + timedelta(seconds=_ttl_seconds())))
    client = _redis()
    if client is not None:
        try:
            client.set(KEY_PREFIX + sid, reason, ex=_ttl_seconds())
            tracked_keys.forget(current_app._get_current_object(), (KEY_PREFIX + sid,))
        except Exception as exc:  # noqa: BLE001 - any Redis failure: the table still holds it
            log.error("revocation not written to Redis (%s); checks fall back to the database only when Redis "
                      "is unreachable", type(exc).__name__)


def revoke_all_sessions(*, subject: str, reason: str) -> int:
    """End every live session of ``subject``; returns how many (inside the caller's transaction)."""
    families = db.session.execute(
        db.select(RefreshToken.family)
        .where(RefreshToken.subject == subject, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > clock.now())
        .distinct()
    ).scalars().all()
    for sid in families:
        revoke_session(sid=sid, subject=subject, reason=reason)
    return len(families)


def is_revoked(sid: str) -> bool:
    """Whether login session ``sid`` has ended (Redis when configured, else the table)."""
    return is_revoked_reading(sid)[0]


def is_revoked_reading(sid: str, keys: tuple[str, ...] = ()) -> tuple[bool, dict[str, bytes | None] | None]:
    """:func:`is_revoked`, and the values of Redis ``keys`` read in the same round trip (one
    ``MGET``, or none when this process's copy holds them all: ``app.tracked_keys``):
    ``(revoked, {key: value or None})``. The values are ``None`` when nothing was asked or Redis
    could not answer (the check then asks the table, as ever)."""
    client = _redis()
    if client is not None:
        try:
            mark, *values = tracked_keys.mget(current_app._get_current_object(), client, (KEY_PREFIX + sid, *keys))
            return mark is not None, (dict(zip(keys, values)) if keys else None)
        except Exception as exc:  # noqa: BLE001 - fail safe: ask the database instead
            log.warning("revocation check fell back to the database (%s)", type(exc).__name__)
    return db.session.get(RevokedSession, sid) is not None, None
