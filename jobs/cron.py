"""Configuration for ``rq cron jobs/cron.py``: the periodic jobs of the production shape.

Each goes to its own queue (``app.tasks.JOB_QUEUES``: the sweep to notifications, the rest to
maintenance). Several cron processes may run; the jobs are idempotent, so a doubled run is harmless.
"""
from rq import cron

from app.config import load_config
from app.tasks import job_timeout, queue_name, queue_of
from jobs.maintenance import reconcile
from jobs.notify import sweep
from jobs.privacy import purge
from jobs.supervision import sla_scan

_config = load_config()


def _register(func, **when) -> None:
    """Register ``func`` (a job function) on the RQ queue of its logical queue."""
    queue = queue_of(f"{func.__module__}.{func.__name__}")
    cron.register(func, queue_name(_config["RQ_QUEUE"], queue), job_timeout=job_timeout(_config, queue), **when)


_register(reconcile, interval=_config["RECONCILE_INTERVAL_SECONDS"], name="reconcile")
# Pushes whose quiet hours ended, whose retry backoff passed or whose worker died (app.notify.delivery).
_register(sweep, interval=_config["NOTIFY_SWEEP_SECONDS"], name="notify-sweep")
# Deadline reminders, overdue marks and supervisor alerts (app.supervision.sla); idempotent too.
_register(sla_scan, interval=_config["SLA_SCAN_INTERVAL_SECONDS"], name="sla-scan")
_register(purge, cron="17 3 * * *", name="privacy-purge")  # daily, 03:17
