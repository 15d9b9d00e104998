"""Configuration for ``rq cron jobs/cron.py``: the periodic jobs of the production shape.

Several cron processes may run; the reconciler is idempotent, so a doubled run is harmless.
"""
from rq import cron

from app.config import load_config
from jobs.maintenance import reconcile

_config = load_config()
cron.register(reconcile, _config["RQ_QUEUE"], interval=_config["RECONCILE_INTERVAL_SECONDS"], name="reconcile")
