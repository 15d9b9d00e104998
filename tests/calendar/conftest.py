"""Fixtures for the calendar tests: override files written to ``tmp_path``."""
import json

import pytest

from app.calendar.service import WorkingDayCalendar

# FICTIONAL TEST DATA — not the real 2027 State Council notice, which nobody here knows yet.
# 2027-01-01 (Fri) a holiday and 2027-01-09 (Sat) a make-up working day, nothing else.
FICTIONAL_2027 = {
    "complete": True,
    "source": "TEST DATA ONLY — fictional, not a State Council notice",
    "holidays": ["2027-01-01"],
    "working_weekends": ["2027-01-09"],
}


@pytest.fixture
def write_overrides(tmp_path):
    """Write ``{"years": years}`` to a file in tmp_path and return its path (as str)."""

    def write(years: dict, name: str = "overrides.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps({"years": years}, ensure_ascii=False), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def calendar(write_overrides):
    """The calendar as shipped today: no overrides, chinesecalendar behind."""
    return WorkingDayCalendar(write_overrides({}))


@pytest.fixture
def calendar_with_2027(write_overrides):
    return WorkingDayCalendar(write_overrides({"2027": FICTIONAL_2027}))
