"""Jobs for telling the family: deliver one push, and the periodic sweep of due deliveries."""
from jobs.runtime import job


@job
def deliver(*delivery_ids: int) -> list[str]:
    """Deliver each of ``delivery_ids`` in turn (one job per event or sweep batch)."""
    from app.notify.delivery import deliver_many

    return deliver_many(delivery_ids=list(delivery_ids))


@job
def sweep() -> int:
    from app.notify.delivery import sweep as run

    return run()
