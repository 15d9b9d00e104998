"""The reconciler: the database is the system of record, the queue only transport.

Anything left half-way because a job was lost (a killed worker, a restarted Redis, a server
stopped mid-request) is queued again: matters ``pending`` dispatch, cases still ``submitted``,
and, in sandbox mode, department submissions never reported. Every job it re-sends is
idempotent, so running it twice, or alongside the original job, changes nothing twice.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app import clock
from app.cases.models import Case
from app.extensions import db
from app.matters.models import Matter
from app.tasks import enqueue_once, housekeeping


def reconcile(*, stale_after_seconds: int | None = None, limit: int = 500) -> dict[str, int]:
    """Re-queue work stuck longer than ``stale_after_seconds`` (default ``RECONCILE_AFTER_SECONDS``).

    Each row it re-queues is touched (its timestamp set to now), so the next run leaves it alone
    until it has been stuck that long again: a backlog is re-sent once per period, never piled
    up in the queue faster than workers drain it. Out: counts ``{"matters", "cases", "sandbox"}``.
    """
    housekeeping()
    seconds = stale_after_seconds if stale_after_seconds is not None else current_app.config["RECONCILE_AFTER_SECONDS"]
    now = clock.now()
    cutoff = now - timedelta(seconds=seconds)
    matter_ids = db.session.execute(
        db.select(Matter.id)
        .filter(
            Matter.dispatch_state == "pending",
            Matter.updated_at < cutoff,
            # A matter waiting for its scheduled retry is not stuck until that time has passed.
            db.or_(Matter.next_attempt_at.is_(None), Matter.next_attempt_at < cutoff),
        )
        .order_by(Matter.updated_at)
        .limit(limit)
    ).scalars().all()
    if matter_ids:
        db.session.execute(db.update(Matter).where(Matter.id.in_(matter_ids)).values(updated_at=now))
    case_ids = db.session.execute(
        db.select(Case.id).filter(Case.status == "submitted", Case.updated_at < cutoff).limit(limit)
    ).scalars().all()
    if case_ids:
        db.session.execute(db.update(Case).where(Case.id.in_(case_ids)).values(updated_at=now))
    sandbox_ids: list[int] = []
    if current_app.config["SANDBOX"]:
        from app.sandbox.models import SandboxSubmission

        sandbox_ids = db.session.execute(
            db.select(SandboxSubmission.id)
            .filter(SandboxSubmission.state == "received", SandboxSubmission.received_at < cutoff)
            .limit(limit)
        ).scalars().all()
        if sandbox_ids:  # received_at doubles as "last sent to the sandbox worker"
            db.session.execute(db.update(SandboxSubmission).where(SandboxSubmission.id.in_(sandbox_ids))
                               .values(received_at=now))
    db.session.commit()
    for job, ids in (("jobs.matters.dispatch_matter", matter_ids), ("jobs.cases.accept_case", case_ids),
                     ("jobs.sandbox.work_matter", sandbox_ids)):
        for one in ids:
            enqueue_once(job, one)
    return {"matters": len(matter_ids), "cases": len(case_ids), "sandbox": len(sandbox_ids)}
