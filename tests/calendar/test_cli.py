"""``flask calendar check`` and ``flask calendar due`` on a bare Flask app (the factory is elsewhere)."""
import pytest
from flask import Flask

from app.calendar.cli import calendar_cli
from tests.calendar.conftest import FICTIONAL_2027


@pytest.fixture
def run(write_overrides):
    def invoke(args, years=None):
        app = Flask(__name__)
        app.config["CALENDAR_OVERRIDES_PATH"] = write_overrides(years or {})
        app.cli.add_command(calendar_cli)
        return app.test_cli_runner().invoke(args=["calendar", *args])

    return invoke


def test_check_passes_before_november(run):
    result = run(["check", "--today", "2026-10-31"])
    assert result.exit_code == 0, result.output
    assert "工作日历正常" in result.output


def test_check_fails_from_november_without_next_year(run):
    result = run(["check", "--today", "2026-11-01"])
    assert result.exit_code == 1
    assert "2027" in result.output


def test_check_passes_with_next_year_in_the_override_file(run):
    assert run(["check", "--today", "2026-11-01"], years={"2027": FICTIONAL_2027}).exit_code == 0


def test_check_fails_on_a_malformed_override_file(run):
    result = run(["check", "--today", "2026-10-31"], years={"2027": {"complete": "yes"}})
    assert result.exit_code == 1
    assert "complete" in result.output


def test_due_prints_the_worked_example(run):
    result = run(["due", "working_days", "2026-01-31T10:00:00+08:00", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "2026-03-19T23:59:59+08:00" in result.output


def test_due_exits_1_when_the_calendar_lacks_the_year(run):
    result = run(["due", "working_days", "2026-12-01T10:00:00+08:00", "--days", "30"])
    assert result.exit_code == 1
    assert "pending_calendar" in result.output


@pytest.mark.parametrize("start", ["2026-01-31T10:00:00", "yesterday"])
def test_due_refuses_a_start_without_offset(run, start):
    result = run(["due", "working_days", start, "--days", "2"])
    assert result.exit_code == 2
