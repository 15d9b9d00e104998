"""Time in one place: UTC for storage, Asia/Shanghai for every rule and every answer.

Tests set the clock with :func:`set_now`; production reads the system clock.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

SHANGHAI = ZoneInfo("Asia/Shanghai")
_fixed: datetime | None = None


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _fixed if _fixed is not None else datetime.now(timezone.utc)


def set_now(value: datetime | None) -> None:
    """Freeze the clock at an aware ``value`` (tests only); ``None`` releases it."""
    global _fixed
    if value is not None and value.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _fixed = value.astimezone(timezone.utc) if value is not None else None


def shanghai(value: datetime | None) -> datetime | None:
    """``value`` converted to Asia/Shanghai (aware), or ``None``."""
    return value.astimezone(SHANGHAI) if value is not None else None


class UTCDateTime(sa.types.TypeDecorator):
    """Stores aware datetimes as naive UTC (SQLite keeps no offset) and returns them aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware datetimes only")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
