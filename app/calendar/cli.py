"""``flask calendar`` commands for operators. Register with ``app.cli.add_command(calendar_cli)``.

- ``flask calendar check [--today YYYY-MM-DD]``: validates the override file named by
  ``CALENDAR_OVERRIDES_PATH`` and runs the yearly check (next year known from 1 November);
  prints each problem, exits 1 if there is any.
- ``flask calendar due KIND START [--days N] [--hours H]``: the due time of a clock started at
  ``START`` (ISO 8601 with offset) under that rule; exits 1 when the state is ``pending_calendar``.
"""
from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.calendar.deadlines import SHANGHAI, compute_due
from app.calendar.service import CalendarOverridesError, check_next_year, get_calendar

calendar_cli = AppGroup("calendar", help="Working-day calendar (工作日历) and deadlines.")


def _calendar():
    return get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])


@calendar_cli.command("check")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check as of this date (default: today in Asia/Shanghai).")
def check(today: datetime | None) -> None:
    """Fail (exit 1) if the override file is invalid or a needed year is missing."""
    as_of: date = today.date() if today else datetime.now(SHANGHAI).date()
    try:
        calendar = _calendar()
    except CalendarOverridesError as exc:
        click.echo(str(exc), err=True)
        click.get_current_context().exit(1)
    problems = check_next_year(calendar, as_of)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.get_current_context().exit(1)
    years = sorted(calendar.known_years())
    click.echo(f"工作日历正常（{as_of}）：已知 {years[0]}–{years[-1]} 年；覆盖文件 {calendar.path}")


@calendar_cli.command("due")
@click.argument("kind")
@click.argument("start")
@click.option("--days", type=int, default=None, help="Working days (kind working_days).")
@click.option("--hours", type=float, default=None, help="Hours (kind hours_after_event).")
def due(kind: str, start: str, days: int | None, hours: float | None) -> None:
    """Print the due time for KIND started at START (e.g. 2026-01-31T10:00:00+08:00)."""
    try:
        started_at = datetime.fromisoformat(start)
    except ValueError:
        raise click.BadParameter("不是 ISO 8601 时间 / not an ISO 8601 datetime", param_hint="START") from None
    if started_at.tzinfo is None:
        raise click.BadParameter("请带时区，例如 2026-01-31T10:00:00+08:00 / include an offset",
                                 param_hint="START")
    rule: dict = {"kind": kind}
    if days is not None:
        rule["days"] = days
    if hours is not None:
        rule["hours"] = int(hours) if hours.is_integer() else hours
    try:
        result = compute_due(rule, started_at, _calendar())
    except (ValueError, CalendarOverridesError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"rule:           {result.rule_text}")
    click.echo(f"state:          {result.state}")
    click.echo(f"due_at:         {result.due_at.isoformat() if result.due_at else '-'}")
    click.echo(f"effective_date: {result.effective_date.isoformat() if result.effective_date else '-'}")
    if result.state == "pending_calendar":
        click.get_current_context().exit(1)
