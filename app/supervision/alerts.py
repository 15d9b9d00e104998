"""Operator alerts: problems only an operator can fix, listed for supervisors and admins.

One kind so far, ``calendar_year_missing``: a deadline could not be counted because the
working-day calendar lacks a year (SPEC §4 — never silently Monday to Friday). Each deadline
that goes pending logs an ERROR naming the year and the matter's id (nothing private). Once the
operator adds the year to the override file (see README, ``flask calendar check``) the SLA scan
computes the pending deadlines and resolves the alert.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app import clock
from app.calendar.service import WorkingDayCalendar
from app.extensions import db
from app.supervision.models import OperatorAlert

log = logging.getLogger(__name__)

CALENDAR_YEAR_MISSING = "calendar_year_missing"


def _calendar_message(year: int) -> str:
    return (
        f"工作日历尚无 {year} 年数据，部分事项的办结时限暂无法计算（显示为“时限待定”）。"
        f"请运维人员依据国务院办公厅关于{year}年部分节假日安排的通知，在日历覆盖文件中补充 {year} 年，"
        "并运行 flask calendar check 确认；补充后时限会自动计算。"
    )


def report_calendar_gap(*, year: int, subject: str) -> OperatorAlert:
    """Open (or reopen, or count again) the alert that the calendar lacks ``year``, because the
    deadline of ``subject`` (e.g. ``"matter <id>"``, no private data) could not be counted.

    Runs inside the caller's transaction; logs an ERROR. Out: the alert row.
    """
    alert = _find(CALENDAR_YEAR_MISSING, str(year))
    if alert is None:
        try:
            with db.session.begin_nested():  # another process may open the same alert now
                alert = OperatorAlert(kind=CALENDAR_YEAR_MISSING, subject=str(year), message=_calendar_message(year),
                                      occurrences=0)
                db.session.add(alert)
        except IntegrityError:
            alert = _find(CALENDAR_YEAR_MISSING, str(year))
    now = clock.now()
    if alert.resolved_at is not None:  # the year was there and is gone again: loud again
        alert.resolved_at, alert.opened_at = None, now
    # Counted in SQL: filings hitting the same gap at once would otherwise each write what they read.
    alert.occurrences = sa.func.coalesce(OperatorAlert.occurrences, 0) + 1
    alert.last_seen_at = now
    log.error("working-day calendar lacks %s: deadline of %s pending; operator must add the year",
              year, subject, extra={"alert": CALENDAR_YEAR_MISSING, "year": year})
    return alert


def resolve_known_years(calendar: WorkingDayCalendar) -> list[int]:
    """Resolve the open ``calendar_year_missing`` alerts whose year ``calendar`` now knows
    (inside the caller's transaction). Out: the years resolved."""
    query = db.select(OperatorAlert).filter_by(kind=CALENDAR_YEAR_MISSING, resolved_at=None)
    resolved = []
    for alert in db.session.execute(query).scalars():
        if alert.subject.isdigit() and calendar.knows_year(int(alert.subject)):
            alert.resolved_at = clock.now()
            resolved.append(int(alert.subject))
            log.info("working-day calendar now knows %s: alert resolved", alert.subject,
                     extra={"alert": CALENDAR_YEAR_MISSING, "year": int(alert.subject)})
    return resolved


def list_operator_alerts(*, include_resolved: bool = False) -> list[OperatorAlert]:
    """Operator alerts, open ones first, newest first; resolved ones only if asked."""
    query = db.select(OperatorAlert)
    if not include_resolved:
        query = query.filter(OperatorAlert.resolved_at.is_(None))
    query = query.order_by(OperatorAlert.resolved_at.is_not(None), OperatorAlert.last_seen_at.desc())
    return list(db.session.execute(query).scalars())


def _find(kind: str, subject: str) -> OperatorAlert | None:
    return db.session.execute(db.select(OperatorAlert).filter_by(kind=kind, subject=subject)).scalar_one_or_none()
