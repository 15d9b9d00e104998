"""Deadline rules → due times (湘民发〔2022〕57号 二(四); 民法典 第201、203条)."""
import dataclasses
from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest

from app.calendar.deadlines import SHANGHAI, Due, compute_due, describe_rule
from app.calendar.service import WorkingDayCalendar

# SPEC §11: 王丽 applies on Saturday 2026-01-31 (not a make-up day). The start day is not counted,
# Sunday 02-01 is a rest day, so the count begins on Monday 02-02. Hand count on the 2026 notice:
#   1 02-02 Mon   2 02-03 Tue   3 02-04   4 02-05   5 02-06 Fri
#   6 02-09   7 02-10   8 02-11   9 02-12  10 02-13 Fri  11 02-14 Sat (make-up)
#   02-15 … 02-23 Spring Festival (9 days off)
#  12 02-24  13 02-25  14 02-26  15 02-27 Fri  16 02-28 Sat (make-up)
#  17 03-02  18 03-03  19 03-04  20 03-05  21 03-06
#  22 03-09  23 03-10  24 03-11  25 03-12  26 03-13
#  27 03-16  28 03-17  29 03-18  30 03-19 Thu
WORKED_EXAMPLE_START = datetime(2026, 1, 31, 10, 0, tzinfo=SHANGHAI)
WORKED_EXAMPLE_DUE = {2: date(2026, 2, 3), 5: date(2026, 2, 6), 15: date(2026, 2, 27), 30: date(2026, 3, 19)}


def _end_of(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), tzinfo=SHANGHAI)


@pytest.mark.parametrize(("days", "last_day"), sorted(WORKED_EXAMPLE_DUE.items()))
def test_worked_example_working_day_deadlines(calendar, days, last_day):
    due = compute_due({"kind": "working_days", "days": days}, WORKED_EXAMPLE_START, calendar)
    assert due == Due("scheduled", _end_of(last_day), last_day, f"{days}个工作日（不含起算日，至最后一日24时止）")
    assert due.due_at.utcoffset() == timedelta(hours=8)


def test_worked_example_agrees_with_an_independent_count_on_the_holidays_package():
    cn = holidays.CN(years=2026)
    counted, day, nth_day = 0, WORKED_EXAMPLE_START.date(), {}
    while counted < 30:
        day += timedelta(days=1)
        if cn.is_working_day(day):
            counted += 1
            nth_day[counted] = day
    assert {n: nth_day[n] for n in WORKED_EXAMPLE_DUE} == WORKED_EXAMPLE_DUE


@pytest.mark.parametrize(
    ("start", "days", "last_day"),
    [
        # Started on a make-up Saturday (a working day, not counted): 02-24, 02-25.
        ("2026-02-14T15:00:00+08:00", 2, "2026-02-25"),
        # Started on a Spring Festival holiday: 02-24 … 02-27, then make-up Saturday 02-28.
        ("2026-02-17T09:00:00+08:00", 5, "2026-02-28"),
        # 2025 National Day 10-01..10-08 off: started 09-30 → 10-09, 10-10.
        ("2025-09-30T16:00:00+08:00", 2, "2025-10-10"),
        # Month end into Labour Day 2026 (05-01..05-05 off): started 04-30 → 05-06, 05-07.
        ("2026-04-30T17:00:00+08:00", 2, "2026-05-07"),
        # 2025 Spring Festival 01-28..02-04 off: started 01-27 → 02-05, 02-06.
        ("2025-01-27T11:00:00+08:00", 2, "2025-02-06"),
        # Make-up Saturday 2026-02-14 is the first counted day after Friday 02-13.
        ("2026-02-13T09:00:00+08:00", 1, "2026-02-14"),
        # Make-up Saturday 2026-10-10 counts: started Friday 10-09 → 10-10, Monday 10-12.
        ("2026-10-09T10:00:00+08:00", 2, "2026-10-12"),
        # 2026 National Day 10-01..10-07 off: started 09-30 → 10-08, 10-09.
        ("2026-09-30T16:00:00+08:00", 2, "2026-10-09"),
        # Started on a National Day holiday (10-03, not a working day, not counted) → 10-08.
        ("2026-10-03T10:00:00+08:00", 1, "2026-10-08"),
        # Month ends: Saturday 2026-01-31 → Monday 02-02; make-up Saturday 2026-02-28 → Monday 03-02.
        ("2026-01-31T10:00:00+08:00", 1, "2026-02-02"),
        ("2026-02-28T10:00:00+08:00", 1, "2026-03-02"),
        # Year end 2025 into New Year 2026 (01-01..01-03 off, Sunday 01-04 a make-up day) → 01-04, 01-05.
        ("2025-12-31T15:00:00+08:00", 2, "2026-01-05"),
    ],
)
def test_working_days_across_holidays(calendar, start, days, last_day):
    due = compute_due({"kind": "working_days", "days": days}, datetime.fromisoformat(start), calendar)
    assert due.state == "scheduled"
    assert due.due_at == _end_of(date.fromisoformat(last_day))


def test_start_given_in_utc_counts_from_the_shanghai_date(calendar):
    # 2026-02-01T16:30Z is Monday 2026-02-02 00:30 in Shanghai: Monday is the uncounted start day.
    started = datetime(2026, 2, 1, 16, 30, tzinfo=timezone.utc)
    due = compute_due({"kind": "working_days", "days": 2}, started, calendar)
    assert due.due_at == _end_of(date(2026, 2, 4))
    assert due.due_at.tzinfo == SHANGHAI


@pytest.mark.parametrize(
    ("start", "last_day"),
    [
        ("2026-02-02T09:00:00+08:00", "2026-02-02"),  # a working day: that day
        ("2026-01-31T09:00:00+08:00", "2026-02-02"),  # ordinary Saturday: rolls to Monday
        ("2026-02-14T09:00:00+08:00", "2026-02-14"),  # make-up Saturday: a working day
        ("2026-02-15T09:00:00+08:00", "2026-02-24"),  # Spring Festival: rolls past the block
        ("2026-12-31T20:00:00+08:00", "2026-12-31"),  # needs no 2027 data
        ("2026-10-10T09:00:00+08:00", "2026-10-10"),  # make-up Saturday after National Day
        ("2026-10-01T09:00:00+08:00", "2026-10-08"),  # National Day: rolls past the holiday
        ("2025-01-28T09:00:00+08:00", "2025-02-05"),  # 2025 Spring Festival block
        # Just after midnight in Shanghai given in UTC: 2026-02-13T16:10Z is 02-14 00:10, the
        # make-up Saturday itself — not Friday 02-13, the UTC date.
        ("2026-02-13T16:10:00+00:00", "2026-02-14"),
    ],
)
def test_same_working_day(calendar, start, last_day):
    due = compute_due({"kind": "same_working_day"}, datetime.fromisoformat(start), calendar)
    assert (due.state, due.due_at, due.effective_date) == (
        "scheduled", _end_of(date.fromisoformat(last_day)), date.fromisoformat(last_day))


def test_same_working_day_in_an_unknown_year_is_pending(calendar):
    due = compute_due({"kind": "same_working_day"}, datetime(2027, 1, 1, 9, tzinfo=SHANGHAI), calendar)
    assert (due.state, due.due_at, due.effective_date) == ("pending_calendar", None, None)


def test_thirty_working_days_from_december_2026_needs_2027(calendar):
    # 2026-12-02 … 12-31 hold only 22 working days; the 30th falls in 2027, which nobody knows yet.
    due = compute_due({"kind": "working_days", "days": 30}, datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), calendar)
    assert due == Due("pending_calendar", None, None, "30个工作日（不含起算日，至最后一日24时止）", missing_year=2027)


@pytest.mark.parametrize(
    ("start", "days"),
    [
        ("2026-12-15T10:00:00+08:00", 15),  # 12-16..12-31 hold 12 working days: 3 more in 2027
        ("2026-12-30T10:00:00+08:00", 2),  # 12-31, then the first working day of 2027
        ("2026-12-31T23:30:00+08:00", 1),  # a clock started on the last evening of 2026
    ],
)
def test_deadline_reaching_into_an_unknown_year_is_pending_and_names_the_year(calendar, start, days):
    due = compute_due({"kind": "working_days", "days": days}, datetime.fromisoformat(start), calendar)
    assert (due.state, due.due_at, due.effective_date, due.missing_year) == ("pending_calendar", None, None, 2027)


def test_thirty_working_days_from_december_2026_with_a_2027_override(calendar_with_2027):
    # 22 working days in December (12-02..04, 07..11, 14..18, 21..25, 28..31), then on the
    # FICTIONAL 2027 test data: 01-01 off, 23 01-04, 24 01-05, 25 01-06, 26 01-07, 27 01-08,
    # 28 01-09 (fictional make-up Saturday), 29 01-11, 30 01-12.
    due = compute_due({"kind": "working_days", "days": 30}, datetime(2026, 12, 1, 10, tzinfo=SHANGHAI),
                      calendar_with_2027)
    assert (due.state, due.due_at) == ("scheduled", _end_of(date(2027, 1, 12)))


def test_hours_after_event_is_wall_clock_and_needs_no_calendar(calendar):
    cremated = datetime(2026, 1, 31, 22, 30, tzinfo=SHANGHAI)
    due = compute_due({"kind": "hours_after_event", "hours": 4}, cremated, calendar)
    assert due == Due("scheduled", datetime(2026, 2, 1, 2, 30, tzinfo=SHANGHAI), date(2026, 2, 1), "4小时内")
    # A year the calendar does not know is no obstacle for a wall-clock rule.
    later = compute_due({"kind": "hours_after_event", "hours": 4}, datetime(2027, 6, 1, 10, tzinfo=SHANGHAI), calendar)
    assert later.state == "scheduled"


@pytest.mark.parametrize(
    ("died_at", "first"),
    [
        (datetime(2026, 1, 30, 23, 40, tzinfo=SHANGHAI), date(2026, 2, 1)),  # SPEC §11
        (datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI), date(2027, 1, 1)),  # across the year end
        (datetime(2026, 1, 31, 16, 30, tzinfo=timezone.utc), date(2026, 3, 1)),  # = 02-01 00:30 Shanghai
        (datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI), date(2026, 3, 1)),  # last minute of February
        (datetime(2026, 3, 31, 16, 5, tzinfo=timezone.utc), date(2026, 5, 1)),  # = 04-01 00:05 Shanghai
    ],
)
def test_next_month_start(calendar, died_at, first):
    due = compute_due({"kind": "next_month_start"}, died_at, calendar)
    assert (due.state, due.effective_date) == ("scheduled", first)
    assert due.due_at == datetime.combine(first, time(0), tzinfo=SHANGHAI)


def test_business_rule_has_no_fixed_deadline(calendar):
    rule = {"kind": "business_rule", "text": "按人社部门业务规定时限办结"}
    due = compute_due(rule, WORKED_EXAMPLE_START, calendar)
    assert due == Due("no_fixed_deadline", None, None, "按人社部门业务规定时限办结")


def test_naive_start_is_rejected(calendar):
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due({"kind": "working_days", "days": 2}, datetime(2026, 1, 31, 10, 0), calendar)


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "calendar_days", "days": 2},
        {"days": 2},
        {"kind": "working_days"},
        {"kind": "working_days", "days": 0},
        {"kind": "working_days", "days": "2"},
        {"kind": "working_days", "days": True},
        {"kind": "hours_after_event", "hours": -4},
        {"kind": "hours_after_event", "hours": float("inf")},
        "working_days",
    ],
)
def test_bad_rules_are_rejected(calendar, rule):
    with pytest.raises(ValueError):
        compute_due(rule, WORKED_EXAMPLE_START, calendar)


def test_due_is_immutable(calendar):
    due = compute_due({"kind": "same_working_day"}, WORKED_EXAMPLE_START, calendar)
    with pytest.raises(dataclasses.FrozenInstanceError):
        due.state = "overdue"


def test_rule_text_for_the_catalogue(calendar):
    assert describe_rule({"kind": "working_days", "days": 2}) == "2个工作日（不含起算日，至最后一日24时止）"
    assert describe_rule({"kind": "hours_after_event", "hours": 4}) == "4小时内"
    assert describe_rule({"kind": "next_month_start"}) == "次月起终止（自次月1日起）"
    assert describe_rule({"kind": "business_rule"}) == "按业务规定时限办结"
    assert "非工作日" in describe_rule({"kind": "same_working_day"})
