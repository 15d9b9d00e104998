"""The case (one application after one death), its members, materials, timeline and QR tokens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import UTCDateTime, now
from app.extensions import DefaultsOnInit, db
from app.identity.models import new_id
from app.privacy.fields import Sealed

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

CASE_STATUSES = ("draft", "submitted", "accepted", "in_progress", "completed", "withdrawn")


class Case(db.Model):
    __tablename__ = "cases"
    # One open case per deceased: a second would pay or cancel twice.
    __table_args__ = (
        sa.Index(
            "uq_cases_open_deceased",
            "deceased_id_index",
            unique=True,
            postgresql_where=sa.text("status <> 'withdrawn'"),
            sqlite_where=sa.text("status <> 'withdrawn'"),
        ),
    )
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    channel: Mapped[str] = mapped_column(sa.String(16))  # window | app
    window_id: Mapped[str | None] = mapped_column(sa.ForeignKey("windows.id"))
    created_by_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    applicant_user_id: Mapped[str | None] = mapped_column(sa.ForeignKey("family_users.id"), index=True)
    # Blind indexes (HMAC) of the GB 11643 numbers: lookups without plaintext (issue 6).
    applicant_id_index: Mapped[str] = mapped_column(sa.String(64), index=True)
    deceased_name: Mapped[str] = mapped_column(sa.String(50))
    deceased_id_index: Mapped[str] = mapped_column(sa.String(64))
    died_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # GB/T 2260 code of the household registration: not private, kept plain for scoping queries.
    household_division_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    # The whole application form, AES-GCM sealed and bound to this row (ID, bank, card and
    # phone numbers, addresses, cause of death all live in it).
    form_sealed: Mapped[str | None] = mapped_column(sa.Text)
    form = Sealed("form_sealed", json=True, id_factory=new_id)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    matters = relationship("Matter", back_populates="case", order_by="Matter.position")
    #: Materials received (loaded once per transaction; add through :meth:`receive_material`, so
    #: what this session already loaded stays true).
    materials = relationship("CaseMaterial", order_by="CaseMaterial.id")

    def receive_material(self, kind: str, *, recorded_by: str) -> bool:
        """Record material ``kind`` (a checklist or prerequisite code) as received, inside the
        caller's transaction. Out: ``False`` if it already was."""
        if any(material.kind == kind for material in self.materials):
            return False
        self.materials.append(CaseMaterial(kind=kind, recorded_by=recorded_by))
        return True

    @property
    def deceased_id_number(self) -> str:
        return self.form["deceased"]["id_number"]

    @property
    def applicant_id_number(self) -> str:
        return self.form["applicant"]["id_number"]


class CaseMember(db.Model):
    """A family member bound to a case: the applicant, or a relative the applicant let join."""

    __tablename__ = "case_members"
    __table_args__ = (sa.UniqueConstraint("case_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("family_users.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))  # applicant | member
    status: Mapped[str] = mapped_column(sa.String(16))  # active | pending | removed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CaseMaterial(DefaultsOnInit, db.Model):
    """A material of 湘民发〔2022〕57号 二(二) received for the case (scan, or original handed in)."""

    __tablename__ = "case_materials"
    __table_args__ = (sa.UniqueConstraint("case_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(48))
    recorded_by: Mapped[str] = mapped_column(sa.String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Event(db.Model):
    """One entry of the case timeline (SPEC §5): what happened, when, by whom."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    matter_id: Mapped[str | None] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(48))
    actor: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.String(300))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class QrToken(db.Model):
    """A scan token (码上办), kept only as its SHA-256; ``kind`` is ``case`` or ``window``."""

    __tablename__ = "qr_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Random per token; with the server's QR secret it re-derives the token for rendering,
    # so the database alone never yields a usable token.
    nonce: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(16))
    case_id: Mapped[str | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    window_id: Mapped[str | None] = mapped_column(sa.ForeignKey("windows.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
