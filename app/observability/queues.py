"""What is waiting in the RQ queues: depth by state and the age of the oldest waiting job, per
queue (dispatch, notifications, maintenance) and in all.

Read-only (no registry clean-up) and with short Redis timeouts, for ``/readyz`` and ``/metrics``.
"""
from __future__ import annotations

from datetime import timezone

from flask import Flask

from app import clock

#: The states counted for each queue: waiting (``queued``), delayed (``scheduled``, ``deferred``),
#: running (``started``) and ``failed`` (RQ keeps those for a year by default).
JOB_STATES = ("queued", "scheduled", "started", "failed", "deferred")


def redis_client(app: Flask):
    """This app's Redis client for checks (timeouts ``READY_CHECK_TIMEOUT_SECONDS``); ``None``
    without ``REDIS_URL``."""
    if not app.config["REDIS_URL"]:
        return None
    client = app.extensions.get("hsyjs_check_redis")
    if client is None:
        from redis import Redis

        timeout = app.config["READY_CHECK_TIMEOUT_SECONDS"]
        client = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=timeout, socket_timeout=timeout)
        app.extensions["hsyjs_check_redis"] = client
    return client


def _one_queue(queue, client) -> dict:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    jobs = {
        "queued": queue.count,
        "scheduled": queue.scheduled_job_registry.get_job_count(cleanup=False),
        "started": queue.started_job_registry.get_job_count(cleanup=False),
        "failed": queue.failed_job_registry.get_job_count(cleanup=False),
        "deferred": queue.deferred_job_registry.get_job_count(cleanup=False),
    }
    oldest = None
    first = queue.get_job_ids(0, 1)
    if first:
        try:
            job = Job.fetch(first[0], connection=client)
        except NoSuchJobError:  # taken (and its result expired) between the two reads
            job = None
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=timezone.utc)
            oldest = max((clock.now() - enqueued).total_seconds(), 0.0)
    return {"queue": queue.name, "jobs": jobs, "oldest_waiting_seconds": oldest}


def queue_stats(app: Flask) -> dict | None:
    """What waits in each RQ queue (``app.config.QUEUES``); ``None`` for the embedded runner.

    Out: ``{"jobs": {"queued": n, "scheduled": n, "started": n, "failed": n, "deferred": n},
    "oldest_waiting_seconds": float | None, "queues": {logical name: {"queue": RQ queue name,
    "jobs": {…}, "oldest_waiting_seconds": float | None}}}`` — the top-level ``jobs`` summed over
    the queues, ``oldest_waiting_seconds`` the oldest of any (seconds since it was queued).
    Raises Redis' errors when it cannot be read."""
    client = redis_client(app)
    if client is None:
        return None
    from rq import Queue

    from app.config import QUEUES
    from app.tasks import queue_name

    per_queue = {name: _one_queue(Queue(queue_name(app.config["RQ_QUEUE"], name), connection=client), client)
                 for name in QUEUES}
    totals = {state: sum(q["jobs"][state] for q in per_queue.values()) for state in JOB_STATES}
    ages = [q["oldest_waiting_seconds"] for q in per_queue.values() if q["oldest_waiting_seconds"] is not None]
    return {"jobs": totals, "oldest_waiting_seconds": max(ages, default=None), "queues": per_queue}
