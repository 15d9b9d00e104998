"""Callback deliveries already applied, so a replayed delivery changes nothing."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import UTCDateTime, now
from app.extensions import db


class CallbackDelivery(db.Model):
    __tablename__ = "callback_deliveries"
    delivery_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    department: Mapped[str] = mapped_column(sa.String(32))
    matter_id: Mapped[str | None] = mapped_column(sa.String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
