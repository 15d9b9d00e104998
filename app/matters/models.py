"""A matter (事项): one department's piece of work within a case."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cases.models import JSONType
from app.clock import UTCDateTime, now
from app.extensions import DefaultsOnInit, db
from app.identity.models import new_id
from app.privacy.fields import Sealed

#: SPEC §5 matter states. ``final`` ones never change again (except rejected → resubmitted).
MATTER_STATUSES = ("waiting", "dispatched", "accepted", "done", "rejected", "not_applicable")
FINAL_STATUSES = frozenset({"done", "not_applicable"})


class Matter(DefaultsOnInit, db.Model):
    __tablename__ = "matters"
    __table_args__ = (sa.UniqueConstraint("case_id", "code"),)
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(48))
    position: Mapped[int] = mapped_column(default=0)
    department: Mapped[str] = mapped_column(sa.String(32), index=True)
    automatic: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    # Prerequisites from the catalogue when the case was made, and those still missing.
    requires: Mapped[list] = mapped_column(JSONType, default=list)
    deadline_spec: Mapped[dict] = mapped_column(JSONType, default=dict)
    offline: Mapped[bool] = mapped_column(default=False)
    waiting_for: Mapped[list] = mapped_column(JSONType, default=list)
    attempt: Mapped[int] = mapped_column(default=0)
    dispatch_state: Mapped[str] = mapped_column(sa.String(16), default="idle")  # idle|pending|sent|failed
    dispatch_error: Mapped[str | None] = mapped_column(sa.String(300))
    # Sends tried for the current attempt, and when the next retry is due (transient failures).
    dispatch_tries: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_state: Mapped[str | None] = mapped_column(sa.String(24))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_rule: Mapped[str | None] = mapped_column(sa.String(120))
    effective_date: Mapped[date | None] = mapped_column(sa.Date)
    # Set once each by the SLA scan (app.supervision.sla): department reminded; due time passed.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The department's outcome, sealed: it names the receiving account (issue 6).
    outcome_sealed: Mapped[str | None] = mapped_column(sa.Text)
    outcome = Sealed("outcome_sealed", json=True, id_factory=new_id, empty=dict)
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    case = relationship("Case", back_populates="matters")

    @property
    def has_handling_deadline(self) -> bool:
        """A due time the department must finish by. The welfare terminations' 次月终止 date is
        when the benefit stops (their effective date), not a handling time limit."""
        return (self.due_state == "scheduled" and self.due_at is not None
                and (self.deadline_spec or {}).get("kind") != "next_month_start")

    @property
    def overdue(self) -> bool:
        """Past its due time before it finished: marked by the SLA scan, or finished late."""
        if self.overdue_at is not None:
            return True
        return self.has_handling_deadline and self.finished_at is not None and self.finished_at > self.due_at

    @property
    def idempotency_key(self) -> str:
        """Stable for one attempt at this matter: a retry of the same attempt reuses it."""
        return f"{self.id}.{self.attempt}"
