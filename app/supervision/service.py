"""What supervisors see (监督考核, 湘民发〔2022〕57号 四(三)): figures per department and county,
the overdue list, rectification items, operator alerts, and CSV exports of the first two.

Scope (GB/T 2260): an ``admin`` sees everything; a ``supervisor`` sees the cases whose deceased's
household registration division or whose intake window's division lies in their county code's
area (``430100`` → every code starting ``4301``; see ``app.identity.scope``). A matter's county
is the deceased's household registration division: the department of that county acts on it.
"""
from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy.orm import selectinload

from app import clock
from app.calendar.service import UnknownCalendarYear, WorkingDayCalendar, get_calendar
from app.cases.models import Case
from app.catalogue.service import department_name, get_matter, load_catalogue
from app.errors import Forbidden, RuleViolation
from app.extensions import db
from app.identity.models import Window
from app.identity.scope import scope_prefix
from app.identity.tokens import Principal
from app.matters.models import FINAL_STATUSES, Matter
from app.standards.divisions import county_division, division_name
from app.supervision.alerts import list_operator_alerts
from app.supervision.models import OperatorAlert, Rectification
from app.supervision.sla import OWED_STATUSES

SUPERVISION_ROLES = ("supervisor", "admin")
#: The deceased's household registration division, read from the stored form (SQLite and PostgreSQL).
HUKOU_DIVISION = Case.household_division_code
MAX_PERIOD_DAYS = 366


@dataclass
class StatsRow:
    """Matters received (dispatched to the department) in the period, and what became of them.

    ``finished``: done or not applicable. ``with_deadline``: held to a handling due time (not
    business-rule matters, nor the welfare terminations' effective date). ``on_time``: finished
    by the due time. ``overdue``: finished late, or unfinished past the due time now.
    ``on_time_rate``: ``on_time`` / finished matters with a deadline (0–1, ``None`` if none).
    ``median_working_days``: median of working days from receipt to finish (the receipt day not
    counted, 民法典 第201条; finished the same day = 0); matters in a year the calendar lacks are
    left out rather than guessed.
    """

    department: str | None
    department_name: str
    county_code: str | None
    county_name: str
    received: int = 0
    finished: int = 0
    with_deadline: int = 0
    on_time: int = 0
    overdue: int = 0
    on_time_rate: float | None = None
    median_working_days: float | None = None
    _finished_with_deadline: int = field(default=0, repr=False)
    _handling_days: list[int] = field(default_factory=list, repr=False)


def supervision_scope(principal: Principal) -> str:
    """The division-code prefix ``principal`` may see (``""`` = everything).
    Raises :class:`Forbidden` for anyone but a supervisor or an admin."""
    if principal.kind != "staff" or principal.role not in SUPERVISION_ROLES:
        raise Forbidden("只有监督人员可以查看督查数据")
    return "" if principal.role == "admin" else scope_prefix(principal.county_code)


def period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The reporting period, both days included (Asia/Shanghai); default: this month up to today.
    Raises :class:`RuleViolation` when ``from`` is after ``to`` or the span exceeds 366 days."""
    today = clock.shanghai(clock.now()).date()
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise RuleViolation("统计时段有误", errors={"from": ["开始日期不能晚于结束日期"]})
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise RuleViolation("统计时段太长", errors={"to": [f"一次最多统计 {MAX_PERIOD_DAYS} 天"]})
    return date_from, date_to


def department_stats(*, principal: Principal, date_from: date | None = None, date_to: date | None = None) -> dict:
    """Figures per department and county for matters received in the period.

    Out: ``{"from": date, "to": date, "scope": prefix, "rows": [StatsRow…], "total": StatsRow}``,
    rows in catalogue department order, then by county code. Raises :class:`Forbidden`,
    :class:`RuleViolation` (see :func:`period`).
    """
    prefix = supervision_scope(principal)
    date_from, date_to = period(date_from, date_to)
    start = datetime.combine(date_from, time(0), tzinfo=clock.SHANGHAI)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=clock.SHANGHAI)
    query = _scoped(db.select(Matter, HUKOU_DIVISION), prefix).filter(
        Matter.dispatched_at >= start, Matter.dispatched_at < end
    )
    now = clock.now()
    calendar = get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])
    rows: dict[tuple[str, str], StatsRow] = {}
    total = StatsRow(None, "合计", None, "合计")
    for matter, county in db.session.execute(query):
        key = (matter.department, county or "")
        row = rows.get(key)
        if row is None:
            row = rows[key] = StatsRow(matter.department, department_name(matter.department), county,
                                       county_label(county))
        handling = _handling_working_days(matter, calendar)
        for target in (row, total):
            _count(target, matter, now, handling)
    order = {code: i for i, code in enumerate(load_catalogue()["departments"])}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r.department, len(order)), r.county_code or ""))
    for row in (*ordered, total):
        _finish(row)
    return {"from": date_from, "to": date_to, "scope": prefix, "rows": ordered, "total": total}


def overdue_matters(*, principal: Principal, limit: int = 1000) -> list[dict]:
    """Matters still owed past their due time (the SLA scan has alerted, or is about to), the
    longest overdue first. Each: ``case_id``, ``case_reference``, ``matter_id``, ``code``,
    ``name``, ``department``, ``department_name``, ``county_code``, ``county_name``, ``status``,
    ``due_at``, ``overdue_at`` (when the scan marked it, or ``None``), ``overdue_working_days``
    (working days since the due day; ``None`` if the calendar lacks a year). Raises :class:`Forbidden`."""
    prefix = supervision_scope(principal)
    now = clock.now()
    query = (
        _scoped(db.select(Matter, Case.reference, HUKOU_DIVISION), prefix)
        .filter(Matter.status.in_(OWED_STATUSES), Matter.due_state == "scheduled", Matter.due_at <= now)
        .order_by(Matter.due_at)
        .limit(limit)
    )
    calendar = get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])
    out = []
    for matter, reference, county in db.session.execute(query):
        if not matter.has_handling_deadline:
            continue
        out.append({
            "case_id": matter.case_id, "case_reference": reference, "matter_id": matter.id, "code": matter.code,
            "name": get_matter(matter.code)["name"], "department": matter.department,
            "department_name": department_name(matter.department), "county_code": county,
            "county_name": county_label(county), "status": matter.status, "due_at": matter.due_at,
            "overdue_at": matter.overdue_at,
            "overdue_working_days": _working_days(calendar, matter.due_at, now),
        })
    return out


def rectifications(*, principal: Principal, status: str = "open", limit: int = 1000) -> list[Rectification]:
    """Rectification items opened by 差评 (``status``: ``open``, ``closed`` or ``all``), the
    earliest due first. Raises :class:`Forbidden`."""
    prefix = supervision_scope(principal)
    query = _scoped(db.select(Rectification).options(selectinload(Rectification.rating)), prefix,
                    case_id_column=Rectification.case_id)
    if status != "all":
        query = query.filter(Rectification.status == status)
    query = query.order_by(Rectification.due_at.is_(None), Rectification.due_at, Rectification.id).limit(limit)
    return list(db.session.execute(query).scalars())


def operator_alerts(*, principal: Principal, include_resolved: bool = False) -> list[OperatorAlert]:
    """Operator alerts (e.g. the working-day calendar lacking a year); not area-scoped, they hold
    no case data. Raises :class:`Forbidden`."""
    supervision_scope(principal)
    return list_operator_alerts(include_resolved=include_resolved)


def stats_csv(*, principal: Principal, date_from: date | None = None, date_to: date | None = None) -> bytes:
    """:func:`department_stats` as CSV (UTF-8 with BOM, so Excel opens the Chinese), total last."""
    stats = department_stats(principal=principal, date_from=date_from, date_to=date_to)
    header = ["部门", "部门代码", "区县", "区划代码", "受理数", "办结数", "有办结时限数", "按时办结数", "超期数",
              "按时办结率", "办理时长中位数（工作日）"]
    body = [
        [r.department_name, r.department, r.county_name, r.county_code, r.received, r.finished, r.with_deadline,
         r.on_time, r.overdue, "" if r.on_time_rate is None else f"{r.on_time_rate:.1%}", r.median_working_days]
        for r in (*stats["rows"], stats["total"])
    ]
    return to_csv(header, body)


def overdue_csv(*, principal: Principal) -> bytes:
    """:func:`overdue_matters` as CSV (UTF-8 with BOM); times in Asia/Shanghai."""
    header = ["申请编号", "事项", "办理部门", "区县", "区划代码", "状态", "办结时限", "超期标记时间", "已超期工作日"]
    body = [
        [m["case_reference"], m["name"], m["department_name"], m["county_name"], m["county_code"], m["status"],
         _local(m["due_at"]), _local(m["overdue_at"]), m["overdue_working_days"]]
        for m in overdue_matters(principal=principal)
    ]
    return to_csv(header, body)


def to_csv(header: list[str], rows: list[list]) -> bytes:
    """CSV bytes: UTF-8 with a BOM, CRLF lines; text cells that a spreadsheet would run as a
    formula (leading ``=``, ``+``, ``-``, ``@``) are prefixed with ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def county_label(code: str | None) -> str:
    """``430104`` → ``长沙市岳麓区``; an unknown code → the name of what is known, or ``未知``."""
    county = county_division(code) if code else None
    if county is not None:
        return county.prefecture_name + county.name
    return (division_name(code) if code else None) or "未知"


# --- helpers -------------------------------------------------------------------------------------

def _scoped(query, prefix: str, *, case_id_column=None):
    """Join the case (and its window) and keep what lies in the area ``prefix``."""
    query = query.join(Case, Case.id == (case_id_column if case_id_column is not None else Matter.case_id))
    if not prefix:
        return query
    return query.outerjoin(Window, Window.id == Case.window_id).filter(
        db.or_(HUKOU_DIVISION.like(prefix + "%"), Window.division_code.like(prefix + "%"))
    )


def _count(row: StatsRow, matter: Matter, now: datetime, handling: int | None) -> None:
    finished = matter.status in FINAL_STATUSES and matter.finished_at is not None
    row.received += 1
    row.finished += finished
    if matter.has_handling_deadline:
        row.with_deadline += 1
        late = matter.overdue or (not finished and matter.due_at <= now)
        row.overdue += late
        if finished:
            row._finished_with_deadline += 1
            row.on_time += not late
    if handling is not None:
        row._handling_days.append(handling)


def _finish(row: StatsRow) -> None:
    judged = row._finished_with_deadline
    row.on_time_rate = round(row.on_time / judged, 4) if judged else None
    row.median_working_days = float(statistics.median(row._handling_days)) if row._handling_days else None


def _handling_working_days(matter: Matter, calendar: WorkingDayCalendar) -> int | None:
    if matter.finished_at is None or matter.dispatched_at is None or matter.status not in FINAL_STATUSES:
        return None
    return _working_days(calendar, matter.dispatched_at, matter.finished_at)


def _working_days(calendar: WorkingDayCalendar, start: datetime, end: datetime) -> int | None:
    """Working days after ``start``'s Shanghai day up to and including ``end``'s; ``None`` when
    the calendar lacks a year in between (never guessed)."""
    first, last = clock.shanghai(start).date(), clock.shanghai(end).date()
    count, day = 0, first
    try:
        while day < last:
            day += timedelta(days=1)
            count += calendar.is_working_day(day)
    except UnknownCalendarYear:
        return None
    return count


def _local(value: datetime | None) -> str:
    return clock.shanghai(value).isoformat() if value is not None else ""


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

