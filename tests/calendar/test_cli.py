"""``flask calendar check`` and ``flask calendar due`` on a bare Flask app (the factory is elsewhere)."""
import json
import os
from pathlib import Path

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


def test_check_follows_the_override_file_without_restart(write_overrides):
    """The operator's November step on a running app: add the year → the check passes; take it
    out (or lose the file) → the check fails again. The date is injected, never today's."""
    path = write_overrides({})
    app = Flask(__name__)
    app.config["CALENDAR_OVERRIDES_PATH"] = path
    app.cli.add_command(calendar_cli)
    runner = app.test_cli_runner()

    def check():
        return runner.invoke(args=["calendar", "check", "--today", "2026-11-29"])

    def rewrite(years: dict, bump_seconds: int) -> None:
        before = os.stat(path)
        Path(path).write_text(json.dumps({"years": years}, ensure_ascii=False), encoding="utf-8")
        # Coarse filesystem clocks could keep the mtime: move it so the cache must notice.
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + bump_seconds * 1_000_000_000))

    assert check().exit_code == 1
    rewrite({"2027": FICTIONAL_2027}, bump_seconds=1)
    assert check().exit_code == 0
    rewrite({}, bump_seconds=2)
    failed = check()
    assert failed.exit_code == 1 and "2027" in failed.output
    os.remove(path)
    missing = check()
    assert missing.exit_code == 1 and path in missing.output
