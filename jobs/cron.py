"""Configuration for ``rq cron jobs/cron.py``: the periodic jobs of the production shape.

Several cron processes may run; the reconciler is idempotent, so a doubled run is harmless.
"""
from rq import cron

from app.config import load_config
from jobs.maintenance import reconcile
from jobs.privacy import purge
from jobs.notify import sweep
from jobs.supervision import sla_scan

_config = load_config()
cron.register(reconcile, _config["RQ_QUEUE"], interval=_config["RECONCILE_INTERVAL_SECONDS"], name="reconcile")
# Pushes whose quiet hours ended, whose retry backoff passed or whose worker died (app.notify.delivery).
cron.register(sweep, _config["RQ_QUEUE"], interval=_config["NOTIFY_SWEEP_SECONDS"], name="notify-sweep")
# Deadline reminders, overdue marks and supervisor alerts (app.supervision.sla); idempotent too.
cron.register(sla_scan, _config["RQ_QUEUE"], interval=_config["SLA_SCAN_INTERVAL_SECONDS"], name="sla-scan")
cron.register(purge, _config["RQ_QUEUE"], cron="17 3 * * *", name="privacy-purge")  # daily, 03:17
