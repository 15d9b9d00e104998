"""Supervision (监督考核) records: operator alerts, deadline reminders and overdue alerts,
好差评 ratings and the rectification items a bad rating opens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import UTCDateTime, now
from app.extensions import db
from app.privacy.fields import Sealed


class OperatorAlert(db.Model):
    """Something only an operator can fix, e.g. the working-day calendar lacking a year.

    One row per ``(kind, subject)``; it is reopened (``resolved_at`` cleared) when the problem
    comes back. ``message`` is Chinese for the supervisor's and admin's list and holds no
    private data.
    """

    __tablename__ = "operator_alerts"
    __table_args__ = (sa.UniqueConstraint("kind", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(48))  # calendar_year_missing
    subject: Mapped[str] = mapped_column(sa.String(64))  # e.g. "2027"
    message: Mapped[str] = mapped_column(sa.String(300))
    #: Deadlines that went pending because of it (each time one did).
    occurrences: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: ``due_reminder``: the department was reminded before the due time; ``overdue``: the
#: supervisor was alerted that the due time passed. At most one of each per matter.
RECORD_KINDS = ("due_reminder", "overdue")


class SupervisionRecord(db.Model):
    """A deadline reminder to the department or an overdue alert to the supervisor."""

    __tablename__ = "supervision_records"
    __table_args__ = (sa.UniqueConstraint("matter_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    matter_id: Mapped[str] = mapped_column(sa.ForeignKey("matters.id"))
    department: Mapped[str] = mapped_column(sa.String(32), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


#: 国办发〔2019〕51号 好差评: five levels, 5 best.
RATING_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
#: 不满意 or worse is a 差评 and opens a rectification item.
BAD_RATING_MAX = 2


class MatterRating(db.Model):
    """One family member's 好差评 of one finished matter (one per member and matter).

    ``comment`` is free text a family may fill with a phone or ID number: it is sealed (issue 6)
    and bound to the row's id, so it is set after the row is flushed; answers mask long numbers
    in it (``app.masking.mask_numbers_in_text``).
    """

    __tablename__ = "matter_ratings"
    __table_args__ = (sa.UniqueConstraint("matter_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    matter_id: Mapped[str] = mapped_column(sa.ForeignKey("matters.id"))
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("family_users.id"))
    level: Mapped[int] = mapped_column()
    comment_sealed: Mapped[str | None] = mapped_column(sa.Text)
    comment = Sealed("comment_sealed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    rectification = relationship("Rectification", back_populates="rating", uselist=False)


class Rectification(db.Model):
    """整改: a bad rating's follow-up by the department, due in 15 working days.

    ``due_state`` is that of ``app.calendar.deadlines`` (``scheduled`` or ``pending_calendar``).
    """

    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("matter_ratings.id"), unique=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    matter_id: Mapped[str] = mapped_column(sa.ForeignKey("matters.id"))
    matter_code: Mapped[str] = mapped_column(sa.String(48))
    department: Mapped[str] = mapped_column(sa.String(32), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    due_state: Mapped[str] = mapped_column(sa.String(24))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_rule: Mapped[str] = mapped_column(sa.String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rating = relationship("MatterRating", back_populates="rectification")
