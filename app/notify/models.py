"""Telling the family: the in-app inbox (站内信), notifications per event and person, their
deliveries per channel, push devices, one-time subscribe consents and the channels' sandbox twin."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cases.models import JSONType
from app.clock import UTCDateTime, now
from app.extensions import db


class Message(db.Model):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("family_users.id"), index=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(40))
    body: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: Channels (SPEC §8). ``inbox`` is written at once; the others go out through adapters.
CHANNELS = ("inbox", "app_push", "mp_subscribe", "sms")
PUSH_CHANNELS = ("app_push", "mp_subscribe", "sms")
#: Delivery states: ``pending`` (waiting for its due time or a job), ``sending`` (a job holds the
#: lease), ``sent`` (the channel accepted it; receipt recorded), ``failed`` (given up: staff see it).
DELIVERY_STATES = ("pending", "sending", "sent", "failed")


class Notification(db.Model):
    """What one family member is told about one timeline event (at most one per event and person)."""

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("family_users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(48))
    title: Mapped[str] = mapped_column(sa.String(40))
    body: Mapped[str] = mapped_column(sa.String(300))  # the inbox text
    push_text: Mapped[str] = mapped_column(sa.String(120))  # app push and SMS text
    mp_template: Mapped[str | None] = mapped_column(sa.String(32))
    mp_fields: Mapped[dict] = mapped_column(JSONType, default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Delivery(db.Model):
    """One notification on one channel, with its idempotency key, attempts and receipt."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (sa.UniqueConstraint("notification_id", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    # Sent with every attempt: the channel applies one key once, so a retried job never pushes twice.
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # quiet hours and retry backoff
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    consent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscribe_consents.id"))
    fallback_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notification_deliveries.id"))
    receipt_id: Mapped[str | None] = mapped_column(sa.String(64))
    receipt_status: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    notification = relationship("Notification")


class PushDevice(db.Model):
    """A phone on which the 湘易办 app may receive pushes for this family member."""

    __tablename__ = "push_devices"
    __table_args__ = (sa.UniqueConstraint("user_id", "token"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("family_users.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscribeConsent(db.Model):
    """One tick of a mini-program subscribe-message template: allows exactly one message."""

    __tablename__ = "subscribe_consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("family_users.id"), index=True)
    template_id: Mapped[str] = mapped_column(sa.String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxNotification(db.Model):
    """What the sandbox twin of a channel received (development, tests and the demo only).

    One row per idempotency key, as a real channel applies each key once; ``requests`` counts
    every send that arrived with that key.
    """

    __tablename__ = "sandbox_notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    receipt_id: Mapped[str] = mapped_column(sa.String(64))
    recipient: Mapped[str] = mapped_column(sa.String(64))  # user id, or a masked phone for SMS
    title: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.String(300))
    fields: Mapped[dict] = mapped_column(JSONType, default=dict)
    requests: Mapped[int] = mapped_column(default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
