"""The SLA scan: the scheduled job that holds departments to the legal deadlines.

Each run (``jobs.supervision.sla_scan``; ``rq cron`` in production, the embedded runner's
periodic loop otherwise):

1. computes the deadlines left ``pending_calendar`` (matters and rectification items) once the
   operator has added the missing year, and resolves that operator alert;
2. reminds the department before a matter is due — once per matter, ``DEADLINE_REMIND_HOURS``
   before (at most half the matter's whole period, so a 4-hour cremation certificate is
   reminded 2 hours before);
3. marks a matter whose due time passed unfinished as overdue — ``overdue_at`` on the matter
   (the family sees ``overdue`` in the case view), an event on the case timeline (not pushed)
   and an ``overdue`` supervision record for the supervisor (湘民发〔2022〕57号 四(三) 监督考核).

Idempotent: every mark is a conditional ``UPDATE … WHERE reminded_at/overdue_at IS NULL`` and
only the process whose update wins writes the records, so doubled runs (several cron
processes, the embedded loop) change nothing twice. Matters ``rejected`` back to the family
and the welfare terminations (their 次月终止 date is an effective date) are not held to a due time.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from app import clock
from app.calendar.service import get_calendar
from app.cases.timeline import record_event
from app.catalogue.service import get_matter
from app.extensions import db
from app.matters.models import Matter
from app.matters.service import recompute_pending_due
from app.supervision.alerts import resolve_known_years
from app.supervision.models import SupervisionRecord
from app.supervision.ratings import recompute_pending_rectifications

log = logging.getLogger(__name__)

#: Matters the department (or our dispatch) still owes; ``rejected`` waits for the family.
OWED_STATUSES = ("waiting", "dispatched", "accepted")


def scan(*, limit: int = 1000) -> dict[str, int]:
    """Run the three steps above over at most ``limit`` matters each.

    Out: counts ``{"recomputed", "rectifications_recomputed", "alerts_resolved", "reminded",
    "overdue"}`` of what changed in this run. Raises ``CalendarOverridesError`` if the
    calendar override file is unreadable (the operator must fix it; nothing is guessed).
    """
    now = clock.now()
    calendar = get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])
    counts = {"recomputed": 0, "rectifications_recomputed": 0, "alerts_resolved": 0, "reminded": 0, "overdue": 0}

    pending = db.session.execute(
        db.select(Matter).filter(Matter.due_state == "pending_calendar", Matter.status.in_(OWED_STATUSES)).limit(limit)
    ).scalars()
    counts["recomputed"] = sum(recompute_pending_due(matter) for matter in pending)
    counts["rectifications_recomputed"] = recompute_pending_rectifications(calendar=calendar, limit=limit)
    counts["alerts_resolved"] = len(resolve_known_years(calendar))
    db.session.commit()

    horizon = now + timedelta(hours=current_app.config["DEADLINE_REMIND_HOURS"])
    for matter in _owed(Matter.due_at > now, Matter.due_at <= horizon, Matter.reminded_at.is_(None), limit=limit):
        if now >= matter.due_at - _remind_before(matter) and _claim(matter, "reminded_at", now):
            db.session.add(SupervisionRecord(kind="due_reminder", case_id=matter.case_id, matter_id=matter.id,
                                             department=matter.department, due_at=matter.due_at))
            log.info("deadline reminder to %s for matter %s", matter.department, matter.id,
                     extra={"matter_id": matter.id, "department": matter.department})
            counts["reminded"] += 1
    db.session.commit()

    for matter in _owed(Matter.due_at <= now, Matter.overdue_at.is_(None), limit=limit):
        if _claim(matter, "overdue_at", now):
            _alert_overdue(matter)
            counts["overdue"] += 1
    db.session.commit()
    return counts


def _owed(*conditions, limit: int) -> list[Matter]:
    query = (
        db.select(Matter)
        .filter(Matter.status.in_(OWED_STATUSES), Matter.due_state == "scheduled", *conditions)
        .order_by(Matter.due_at)
        .limit(limit)
    )
    return [m for m in db.session.execute(query).scalars() if m.has_handling_deadline]


def _remind_before(matter: Matter) -> timedelta:
    window = timedelta(hours=current_app.config["DEADLINE_REMIND_HOURS"])
    if matter.clock_started_at is not None:
        window = min(window, (matter.due_at - matter.clock_started_at) / 2)
    return window


def _claim(matter: Matter, column: str, now: datetime) -> bool:
    """Set ``column`` to ``now`` unless another run already did; ``True`` for the winner."""
    result = db.session.execute(
        db.update(Matter)
        .where(Matter.id == matter.id, getattr(Matter, column).is_(None))
        .values({column: now})
    )
    return result.rowcount == 1


def _alert_overdue(matter: Matter) -> None:
    name = get_matter(matter.code)["name"]
    record_event(
        matter.case,
        kind="matter_overdue",
        summary=f"“{name}”已超过办结时限（{_due_text(matter.due_at)}），已提请监督部门督办。",
        actor="system",
        matter_id=matter.id,
        notify=False,  # the family sees the overdue flag; the push is the supervisor's business
    )
    db.session.add(SupervisionRecord(kind="overdue", case_id=matter.case_id, matter_id=matter.id,
                                     department=matter.department, due_at=matter.due_at))
    log.warning("matter %s of %s is overdue; supervisor alerted", matter.id, matter.department,
                extra={"matter_id": matter.id, "department": matter.department})


def _due_text(due_at: datetime) -> str:
    local = clock.shanghai(due_at)
    day = f"{local.year}年{local.month}月{local.day}日"
    # A working-day deadline ends at 24:00 (stored 23:59:59): the day alone says it.
    return day if (local.hour, local.minute) == (23, 59) else f"{day}{local:%H:%M}"
