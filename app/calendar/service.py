"""The mainland-China official working-day calendar (SPEC §4).

A date's status comes from, in order:

1. the operator override file, for a year marked ``"complete": true`` — its lists decide;
2. ``chinesecalendar`` (data up to 2026 in 1.11.0), when it knows the year;
3. otherwise ``UnknownCalendarYear`` is raised. There is deliberately no Monday–Friday fallback:
   a deadline counted over an unknown Spring Festival would be silently wrong.

The override file is JSON (see ``data/overrides.json``)::

    {"years": {"2027": {"complete": true,
                        "source": "国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕N号)",
                        "holidays": ["2027-01-01", ...],
                        "working_weekends": ["2027-02-07", ...]}}}

Operators add a year each November without a release; ``get_calendar`` re-reads the file when its
modification time or size changes.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar

__all__ = [
    "CalendarOverridesError",
    "UnknownCalendarYear",
    "WorkingDayCalendar",
    "check_next_year",
    "get_calendar",
]


class UnknownCalendarYear(Exception):
    """The calendar has no complete data for ``year``; working days there cannot be counted."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"工作日历尚无 {year} 年数据，无法计算工作日：请运维人员依据国务院办公厅 {year} 年部分节假日安排的通知，"
            f"在日历覆盖文件中补充该年。 / The working-day calendar has no data for {year}: an operator "
            f"must add {year} to the calendar override file from the State Council holiday notice."
        )


class CalendarOverridesError(Exception):
    """The override file is missing, unreadable or malformed. ``.path`` names the file."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"日历覆盖文件有误 / calendar override file invalid: {path}: {problem}")


@dataclass(frozen=True)
class _YearOverride:
    source: str
    holidays: frozenset[date]
    working_weekends: frozenset[date]


def _library_years() -> frozenset[int]:
    # chinesecalendar rejects any year outside min..max of its holiday table (utils._validate_date).
    table = chinese_calendar.holidays
    return frozenset(range(min(table).year, max(table).year + 1))


class WorkingDayCalendar:
    """Working days of mainland China, built from the override file at ``overrides_path``.

    Raises ``CalendarOverridesError`` when the file is missing or malformed. Every date method
    takes a ``datetime.date`` (not a ``datetime``: convert to Asia/Shanghai and take ``.date()``
    first) and raises ``UnknownCalendarYear`` for a date in a year the calendar does not know.
    """

    def __init__(self, overrides_path: str | os.PathLike):
        self.path = os.fspath(overrides_path)
        complete, incomplete = _load_overrides(self.path)
        self._overrides: dict[int, _YearOverride] = complete
        #: Years present in the file with ``"complete": false`` (drafts, ignored for lookups).
        self.incomplete_years: frozenset[int] = incomplete
        self._library_years = _library_years()

    def known_years(self) -> set[int]:
        """Years for which every date can be answered (complete overrides ∪ chinesecalendar)."""
        return set(self._overrides) | set(self._library_years)

    def knows_year(self, year: int) -> bool:
        return year in self._overrides or year in self._library_years

    def source_of_year(self, year: int) -> str:
        """Where ``year``'s data comes from: the notice named in the override, or the library."""
        if year in self._overrides:
            return self._overrides[year].source
        if year in self._library_years:
            return f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()
        raise UnknownCalendarYear(year)

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is an official working day (调休 make-up weekends included)."""
        _require_date(d)
        override = self._overrides.get(d.year)
        if override is not None:
            if d.weekday() >= 5:
                return d in override.working_weekends
            return d not in override.holidays
        if d.year not in self._library_years:
            raise UnknownCalendarYear(d.year)
        try:
            return chinese_calendar.is_workday(d)
        except NotImplementedError:
            raise UnknownCalendarYear(d.year) from None

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        _require_date(d)
        day = d + timedelta(days=1)
        # Terminates: known years are finite, so the walk either finds a working day or raises.
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``n`` ≥ 1).

        民法典 第201条: the start day is not counted, so for a clock started on a rest day the first
        counted day is the next working day. Raises ``ValueError`` for ``n`` < 1.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive number of working days, got {n!r}")
        day = start
        for _ in range(n):
            day = self.next_working_day(day)
        return day


def _require_date(d: object) -> None:
    # A datetime is a date subclass but never equals one: refuse it rather than answer wrongly.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def _load_overrides(path: str) -> tuple[dict[int, _YearOverride], frozenset[int]]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise CalendarOverridesError(path, f"cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise CalendarOverridesError(path, f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise CalendarOverridesError(path, 'top level must be an object with a "years" object')
    complete: dict[int, _YearOverride] = {}
    incomplete: set[int] = set()
    for key, entry in data["years"].items():
        year, override, is_complete = _parse_year(path, key, entry)
        if is_complete:
            complete[year] = override
        else:
            incomplete.add(year)
    return complete, frozenset(incomplete)


def _parse_year(path: str, key: str, entry: object) -> tuple[int, _YearOverride, bool]:
    def fail(problem: str) -> CalendarOverridesError:
        return CalendarOverridesError(path, f"year {key!r}: {problem}")

    if not (len(key) == 4 and key.isdigit()):
        raise fail("year keys must be four digits, e.g. \"2027\"")
    if not isinstance(entry, dict):
        raise fail("must be an object")
    year = int(key)
    is_complete = entry.get("complete")
    if not isinstance(is_complete, bool):
        raise fail('"complete" must be true or false')
    source = entry.get("source", "")
    if not isinstance(source, str):
        raise fail('"source" must be text')
    holidays = _parse_dates(entry.get("holidays", []), year, '"holidays"', fail)
    working_weekends = _parse_dates(entry.get("working_weekends", []), year, '"working_weekends"', fail)
    weekdays = sorted(d.isoformat() for d in working_weekends if d.weekday() < 5)
    if weekdays:
        raise fail(f'"working_weekends" must be Saturdays or Sundays: {", ".join(weekdays)}')
    both = sorted(d.isoformat() for d in holidays & working_weekends)
    if both:
        raise fail(f"dates in both lists: {', '.join(both)}")
    if is_complete:
        # A complete year copied from a notice always names its source and has holidays.
        if not source.strip():
            raise fail('a complete year needs "source" (the notice title and number)')
        if not holidays:
            raise fail('a complete year needs its "holidays"')
    return year, _YearOverride(source.strip(), holidays, working_weekends), is_complete


def _parse_dates(raw: object, year: int, field: str, fail) -> frozenset[date]:
    if not isinstance(raw, list):
        raise fail(f"{field} must be a list of YYYY-MM-DD dates")
    dates = set()
    for item in raw:
        try:
            d = date.fromisoformat(item) if isinstance(item, str) and len(item) == 10 else None
        except ValueError:
            d = None
        if d is None:
            raise fail(f"{field}: {item!r} is not a YYYY-MM-DD date")
        if d.year != year:
            raise fail(f"{field}: {item} is not in {year}")
        dates.add(d)
    return frozenset(dates)


_cache: dict[str, tuple[tuple[int, int], WorkingDayCalendar]] = {}
_cache_lock = threading.Lock()


def get_calendar(path: str) -> WorkingDayCalendar:
    """The calendar for the override file at ``path``, rebuilt when the file's mtime or size changes.

    Operators edit the file in place; the next call sees the edit without a restart.
    Raises ``CalendarOverridesError`` if the file is missing or malformed.
    """
    key_path = os.path.abspath(path)
    try:
        st = os.stat(key_path)
    except OSError as exc:
        raise CalendarOverridesError(key_path, f"cannot read: {exc.strerror or exc}") from exc
    stamp = (st.st_mtime_ns, st.st_size)
    with _cache_lock:
        cached = _cache.get(key_path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        calendar = WorkingDayCalendar(key_path)
        _cache[key_path] = (stamp, calendar)
        return calendar


def check_next_year(calendar: WorkingDayCalendar, today: date) -> list[str]:
    """Problems (Chinese) an operator must fix; an empty list means the calendar is ready.

    From 1 November (when the State Council usually publishes next year's holidays) next year
    must be known: a 30-working-day clock started then already reaches into it. The current
    year being unknown is always a problem.
    """
    problems = []
    for year, due in ((today.year, True), (today.year + 1, today >= date(today.year, 11, 1))):
        if not due or calendar.knows_year(year):
            continue
        draft = "（覆盖文件中已有草稿，但 complete 仍为 false）" if year in calendar.incomplete_years else ""
        problems.append(
            f"工作日历尚无 {year} 年数据{draft}：请依据国务院办公厅关于{year}年部分节假日安排的通知，"
            f"在 {calendar.path} 中补充 {year} 年的 holidays 与 working_weekends，并将 complete 设为 true。"
        )
    return problems
