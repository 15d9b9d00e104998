"""The audit log: append-only (no code path updates or deletes a row, and on PostgreSQL a
trigger refuses it, except the retention purge of rows older than six months)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import UTCDateTime, now
from app.extensions import db


class AuditEntry(db.Model):
    """Who (actor, role) did what (action on a case's field, with a purpose), when, from where,
    and whether it succeeded (网络安全法 第21条; 等保 2.0 安全审计)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(16))  # read | reveal | change | export | purge
    case_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    field: Mapped[str | None] = mapped_column(sa.String(64))
    purpose: Mapped[str | None] = mapped_column(sa.String(200))
    detail: Mapped[str | None] = mapped_column(sa.String(200))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    success: Mapped[bool] = mapped_column(default=True)
