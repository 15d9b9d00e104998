"""Periodic job: the SLA scan (every ``SLA_SCAN_INTERVAL_SECONDS``) — deadline reminders,
overdue marks and supervisor alerts, pending deadlines computed once the calendar knows the year."""
from jobs.runtime import job


@job
def sla_scan() -> dict:
    from app.supervision.sla import scan

    return scan()
