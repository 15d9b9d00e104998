"""Periodic jobs: the reconciler (every ``RECONCILE_INTERVAL_SECONDS``)."""
from jobs.runtime import job


@job
def reconcile() -> dict:
    from app.matters.reconcile import reconcile as run

    return run()
