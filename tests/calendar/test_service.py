"""The working-day calendar: 调休 make-up weekends, unknown years, override file, yearly check."""
import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
import pytest

from app.calendar.service import (
    CalendarOverridesError,
    UnknownCalendarYear,
    WorkingDayCalendar,
    check_next_year,
    get_calendar,
)
from tests.calendar.conftest import FICTIONAL_2027

SHIPPED_OVERRIDES = Path(__file__).resolve().parents[2] / "app" / "calendar" / "data" / "overrides.json"


def test_shipped_override_file_loads_and_explains_itself():
    calendar = WorkingDayCalendar(SHIPPED_OVERRIDES)
    raw = json.loads(SHIPPED_OVERRIDES.read_text(encoding="utf-8"))
    assert raw["_readme"]
    assert calendar.incomplete_years == frozenset()
    assert calendar.knows_year(2026)


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
def test_2026_make_up_weekends_are_working_days(calendar, day):
    d = date.fromisoformat(day)
    assert d.weekday() >= 5  # really a Saturday or Sunday
    assert calendar.is_working_day(d)


def test_2026_spring_festival_block_is_rest_days(calendar):
    # 国办 notice for 2026: 2月15日（周日）至23日（周一）放假调休，共9天.
    block = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]
    assert [calendar.is_working_day(d) for d in block] == [False] * 9
    assert calendar.is_working_day(date(2026, 2, 24))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2025 Spring Festival 1-28..2-04 off, make-up 1-26 (Sun) and 2-08 (Sat).
        ("2025-01-26", True), ("2025-01-28", False), ("2025-02-03", False), ("2025-02-04", False),
        ("2025-02-05", True), ("2025-02-08", True), ("2025-02-09", False),
        # 2025 National Day + Mid-autumn 10-01..10-08 off, make-up 9-28 (Sun) and 10-11 (Sat).
        ("2025-09-28", True), ("2025-10-06", False), ("2025-10-08", False), ("2025-10-09", True),
        ("2025-10-11", True),
        # 2026 New Year 1-01..1-03 off; National Day 10-01..10-07 off; an ordinary weekend stays off.
        ("2026-01-01", False), ("2026-01-02", False), ("2026-01-05", True),
        ("2026-10-01", False), ("2026-10-07", False), ("2026-10-08", True), ("2026-10-11", False),
        ("2026-03-14", False),
    ],
)
def test_official_calendar_2025_2026(calendar, day, working):
    assert calendar.is_working_day(date.fromisoformat(day)) is working


def test_every_day_of_2026_agrees_with_the_holidays_package(calendar):
    cn = holidays.CN(years=2026)
    day = date(2026, 1, 1)
    disagreements = []
    while day.year == 2026:
        if calendar.is_working_day(day) != cn.is_working_day(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


def test_next_working_day_is_strictly_after_and_takes_make_up_days(calendar):
    assert calendar.next_working_day(date(2026, 2, 2)) == date(2026, 2, 3)
    assert calendar.next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)  # make-up Saturday
    assert calendar.next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)  # over the Spring Festival


def test_add_working_days_does_not_count_the_start_day(calendar):
    # 民法典 第201条: a clock started on Monday 2026-02-02 has Tuesday as its first day.
    assert calendar.add_working_days(date(2026, 2, 2), 1) == date(2026, 2, 3)


@pytest.mark.parametrize("n", [0, -1, True, 1.0])
def test_add_working_days_rejects_non_positive_or_non_integer_counts(calendar, n):
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 2, 2), n)


@pytest.mark.parametrize("day", [date(2027, 3, 3), date(2027, 3, 6), date(2003, 6, 2)])
def test_unknown_year_fails_loudly_never_monday_to_friday(calendar, day):
    with pytest.raises(UnknownCalendarYear) as info:
        calendar.is_working_day(day)
    assert info.value.year == day.year
    assert f"{day.year} 年" in str(info.value) and "calendar override file" in str(info.value)


def test_walking_into_an_unknown_year_raises(calendar):
    assert calendar.is_working_day(date(2026, 12, 31))
    with pytest.raises(UnknownCalendarYear) as info:
        calendar.next_working_day(date(2026, 12, 31))
    assert info.value.year == 2027


def test_datetime_is_refused_as_a_date(calendar):
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2026, 2, 2, 10, 0))


def test_known_years_come_from_library_and_complete_overrides(calendar, calendar_with_2027):
    assert {2004, 2025, 2026} <= calendar.known_years()
    assert 2027 not in calendar.known_years() and not calendar.knows_year(2027)
    assert calendar_with_2027.knows_year(2027) and 2027 in calendar_with_2027.known_years()
    assert calendar_with_2027.source_of_year(2027) == FICTIONAL_2027["source"]


def test_complete_override_year_decides_its_dates(calendar_with_2027):
    # FICTIONAL 2027 test data: 01-01 (Fri) holiday, 01-09 (Sat) make-up working day.
    assert not calendar_with_2027.is_working_day(date(2027, 1, 1))
    assert not calendar_with_2027.is_working_day(date(2027, 1, 2))  # ordinary Saturday
    assert calendar_with_2027.is_working_day(date(2027, 1, 4))  # ordinary Monday
    assert calendar_with_2027.is_working_day(date(2027, 1, 9))  # listed make-up Saturday
    assert calendar_with_2027.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)


def test_incomplete_override_year_is_unknown(write_overrides):
    draft = dict(FICTIONAL_2027, complete=False)
    calendar = WorkingDayCalendar(write_overrides({"2027": draft}))
    assert not calendar.knows_year(2027)
    assert calendar.incomplete_years == {2027}
    with pytest.raises(UnknownCalendarYear):
        calendar.is_working_day(date(2027, 1, 4))


def test_override_wins_over_chinesecalendar_for_a_year_both_know(write_overrides):
    # FICTIONAL TEST DATA for 2026: 03-02 (Mon) declared a holiday; no make-up weekends, so the
    # real make-up Sunday 2026-01-04 becomes a rest day.
    fictional_2026 = {"complete": True, "source": "TEST DATA ONLY", "holidays": ["2026-03-02"],
                      "working_weekends": []}
    calendar = WorkingDayCalendar(write_overrides({"2026": fictional_2026}))
    assert not calendar.is_working_day(date(2026, 3, 2))
    assert not calendar.is_working_day(date(2026, 1, 4))
    assert calendar.is_working_day(date(2026, 2, 16))  # Spring Festival is not in the fictional list


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[]", '"years"'),
        ('{"years": {"27": {"complete": false}}}', "four digits"),
        ('{"years": {"2027": {"holidays": []}}}', '"complete"'),
        ('{"years": {"2027": {"complete": true, "source": "x", "holidays": ["2027-13-01"]}}}', "not a YYYY-MM-DD"),
        ('{"years": {"2027": {"complete": true, "source": "x", "holidays": ["2028-01-01"]}}}', "not in 2027"),
        ('{"years": {"2027": {"complete": true, "source": "x", "holidays": ["2027-01-01"],'
         ' "working_weekends": ["2027-01-04"]}}}', "Saturdays or Sundays"),
        ('{"years": {"2027": {"complete": true, "source": "x", "holidays": ["2027-01-02"],'
         ' "working_weekends": ["2027-01-02"]}}}', "both lists"),
        ('{"years": {"2027": {"complete": true, "holidays": ["2027-01-01"]}}}', '"source"'),
        ('{"years": {"2027": {"complete": true, "source": "x", "holidays": []}}}', '"holidays"'),
    ],
)
def test_malformed_override_file_is_rejected(tmp_path, content, problem):
    path = tmp_path / "overrides.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarOverridesError) as info:
        WorkingDayCalendar(path)
    assert problem in str(info.value)


def test_missing_override_file_is_rejected(tmp_path):
    with pytest.raises(CalendarOverridesError):
        get_calendar(str(tmp_path / "absent.json"))


def _rewrite(path: str, years: dict, bump_ns: int) -> None:
    st = os.stat(path)
    Path(path).write_text(json.dumps({"years": years}), encoding="utf-8")
    # Coarse filesystem clocks could leave mtime unchanged within one test; move it explicitly.
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump_ns))


def test_get_calendar_picks_up_an_edited_file_without_restart(write_overrides):
    path = write_overrides({})
    first = get_calendar(path)
    assert get_calendar(path) is first  # unchanged file: cached
    assert not first.knows_year(2027)

    _rewrite(path, {"2027": FICTIONAL_2027}, bump_ns=1_000_000_000)
    edited = get_calendar(path)
    assert edited.knows_year(2027)
    assert check_next_year(edited, date(2026, 11, 1)) == []

    _rewrite(path, {}, bump_ns=2_000_000_000)  # the year removed again: the check fails again
    assert check_next_year(get_calendar(path), date(2026, 11, 1)) != []


def test_check_next_year_is_quiet_before_november(calendar):
    assert check_next_year(calendar, date(2026, 10, 31)) == []


def test_check_next_year_flags_a_missing_next_year_from_1_november(calendar):
    for today in (date(2026, 11, 1), date(2026, 12, 31)):
        problems = check_next_year(calendar, today)
        assert len(problems) == 1 and "2027" in problems[0]


def test_check_next_year_passes_when_next_year_is_known(calendar_with_2027):
    assert check_next_year(calendar_with_2027, date(2026, 11, 1)) == []


def test_check_next_year_names_an_incomplete_draft(write_overrides):
    calendar = WorkingDayCalendar(write_overrides({"2027": dict(FICTIONAL_2027, complete=False)}))
    problems = check_next_year(calendar, date(2026, 11, 1))
    assert len(problems) == 1 and "complete 仍为 false" in problems[0]


def test_check_flags_the_current_year_when_unknown(calendar):
    # Past the November warning with nothing done: counting is already failing.
    problems = check_next_year(calendar, date(2027, 1, 5))
    assert len(problems) == 1 and "2027" in problems[0]
