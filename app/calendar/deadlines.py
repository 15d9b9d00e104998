"""Deadline rules of the matter catalogue turned into due times (SPEC §3–§4).

The time limits are those of 湘民发〔2022〕57号 二(四) 办结; counting follows 民法典 第201条 (the
day the clock starts is not counted) and 第203条 (a period ends at 24:00 of its last day). Rules
are catalogue data, e.g. ``{"kind": "working_days", "days": 2}``:

======================  ==================  ==================================================
kind                    parameters          due
======================  ==================  ==================================================
``working_days``        ``days`` (int ≥ 1)  end of the ``days``-th working day after the start day
``same_working_day``    —                   end of the start day, or of the next working day
                                            when the clock starts on a rest day
``hours_after_event``   ``hours`` (> 0)     ``started_at`` + hours, wall clock, no calendar
``next_month_start``    —                   00:00 on the 1st of the month after the start date
``business_rule``       ``text`` (optional) no fixed deadline (业务规定时限, set by the department)
======================  ==================  ==================================================

"End of a day" (24:00 in 第203条) is stored as 23:59:59 Asia/Shanghai of that day, so the due
time shows the last day itself; the sub-second gap to 24:00 is accepted. Business hours (第203条
"有业务时间的") are not modelled. All times are aware and in Asia/Shanghai.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.calendar.service import UnknownCalendarYear, WorkingDayCalendar

__all__ = ["SHANGHAI", "Due", "compute_due", "describe_rule", "end_of_day"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

SCHEDULED = "scheduled"
PENDING_CALENDAR = "pending_calendar"
NO_FIXED_DEADLINE = "no_fixed_deadline"

_DEFAULT_BUSINESS_TEXT = "按业务规定时限办结"


@dataclass(frozen=True)
class Due:
    """A computed deadline.

    ``state``: ``scheduled`` | ``pending_calendar`` (the working-day calendar lacks a needed year;
    recompute once an operator adds it) | ``no_fixed_deadline`` (business rule set by the
    department). ``due_at``: aware Asia/Shanghai datetime, only when scheduled.
    ``effective_date``: the last day of the period (for ``next_month_start``: the first day the
    benefit no longer applies), only when scheduled. ``rule_text``: the rule in Chinese.
    ``missing_year``: the year the calendar lacks, only when ``pending_calendar`` (the operator
    alert names it).
    """

    state: str
    due_at: datetime | None
    effective_date: date | None
    rule_text: str
    missing_year: int | None = None


def end_of_day(d: date) -> datetime:
    """24:00 of ``d`` (民法典 第203条), stored as 23:59:59 Asia/Shanghai."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=SHANGHAI)


def describe_rule(rule: dict) -> str:
    """The rule in short Chinese, e.g. ``"2个工作日（不含起算日，至最后一日24时止）"``.

    Raises ``ValueError`` for an unknown kind or bad parameters.
    """
    kind = _kind(rule)
    if kind == "working_days":
        return f"{_positive_int(rule, 'days')}个工作日（不含起算日，至最后一日24时止）"
    if kind == "same_working_day":
        return "当个工作日办结（非工作日起算的顺延至下一个工作日，至24时止）"
    if kind == "hours_after_event":
        return f"{_format_number(_positive_number(rule, 'hours'))}小时内"
    if kind == "next_month_start":
        return "次月起终止（自次月1日起）"
    text = rule.get("text") or _DEFAULT_BUSINESS_TEXT
    if not isinstance(text, str):
        raise ValueError("business_rule text must be a string")
    return text


def compute_due(rule: dict, started_at: datetime, calendar: WorkingDayCalendar) -> Due:
    """The deadline for a clock started at ``started_at`` under ``rule``.

    ``started_at`` must be aware (any offset; converted to Asia/Shanghai first, so the start day
    is the Shanghai date). Raises ``ValueError`` for a naive datetime, an unknown rule kind or bad
    parameters. Never raises ``UnknownCalendarYear``: a needed year the calendar does not know
    gives ``state="pending_calendar"``.
    """
    if not isinstance(started_at, datetime):
        raise ValueError("started_at must be a datetime")
    if started_at.tzinfo is None or started_at.utcoffset() is None:
        raise ValueError("started_at must be timezone-aware (Asia/Shanghai or with an offset)")
    start = started_at.astimezone(SHANGHAI)
    text = describe_rule(rule)  # validates kind and parameters
    kind = rule["kind"]
    if kind == "business_rule":
        return Due(NO_FIXED_DEADLINE, None, None, text)
    if kind == "hours_after_event":
        due_at = start + timedelta(hours=rule["hours"])  # Shanghai has no DST: wall clock = elapsed
        return Due(SCHEDULED, due_at, due_at.date(), text)
    if kind == "next_month_start":
        first = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return Due(SCHEDULED, datetime.combine(first, time(0), tzinfo=SHANGHAI), first, text)
    try:
        if kind == "working_days":
            last = calendar.add_working_days(start.date(), rule["days"])
        else:  # same_working_day
            day = start.date()
            last = day if calendar.is_working_day(day) else calendar.next_working_day(day)
    except UnknownCalendarYear as gap:
        return Due(PENDING_CALENDAR, None, None, text, missing_year=gap.year)
    return Due(SCHEDULED, end_of_day(last), last, text)


_KINDS = ("working_days", "same_working_day", "hours_after_event", "next_month_start", "business_rule")


def _kind(rule: object) -> str:
    if not isinstance(rule, dict):
        raise ValueError("a deadline rule must be an object with a 'kind'")
    kind = rule.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"unknown deadline rule kind {kind!r}; expected one of {', '.join(_KINDS)}")
    return kind


def _positive_int(rule: dict, name: str) -> int:
    value = rule.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{rule['kind']} needs {name!r} as a positive integer, got {value!r}")
    return value


def _positive_number(rule: dict, name: str) -> float:
    value = rule.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"{rule['kind']} needs {name!r} as a positive number, got {value!r}")
    return value


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
