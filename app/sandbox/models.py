"""State of the sandbox platform and sandbox departments (development, tests, demo only)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.cases.models import JSONType
from app.clock import UTCDateTime, now
from app.extensions import db
from app.privacy.fields import Sealed


class SandboxLoginCode(db.Model):
    """A one-time code the sandbox platform issued after its (pretend) real-name check."""

    __tablename__ = "sandbox_login_codes"
    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    id_number_sealed: Mapped[str] = mapped_column(sa.Text)
    phone_sealed: Mapped[str] = mapped_column(sa.Text)
    id_number = Sealed("id_number_sealed", aad_attr="code_hash")
    phone = Sealed("phone_sealed", aad_attr="code_hash")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxSubmission(db.Model):
    """A matter a sandbox department received, once per ``Idempotency-Key``."""

    __tablename__ = "sandbox_submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(sa.String(32))
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    matter_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    matter_code: Mapped[str] = mapped_column(sa.String(48))
    payload_sealed: Mapped[str] = mapped_column(sa.Text)
    payload = Sealed("payload_sealed", json=True, aad_attr="idempotency_key")
    state: Mapped[str] = mapped_column(sa.String(16), default="received")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SandboxScenario(db.Model):
    """A behaviour a sandbox department plays for matching submissions (tests and demos).

    ``behaviour``: ``http_503`` | ``http_400`` | ``timeout_after_receipt`` (answer too late, after
    recording) | ``reject`` | ``not_applicable`` | ``refund_required`` | ``duplicate_callbacks`` |
    ``out_of_order`` | ``silent`` (received, never reported). Matches the department, and the matter code and deceased ID number when set.
    ``remaining`` uses left (``None``: unlimited).
    """

    __tablename__ = "sandbox_scenarios"
    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(sa.String(32), index=True)
    matter_code: Mapped[str | None] = mapped_column(sa.String(48))
    deceased_id_index: Mapped[str | None] = mapped_column(sa.String(64))
    behaviour: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    amount_fen: Mapped[int | None] = mapped_column()
    remaining: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
