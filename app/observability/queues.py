"""What is waiting in the RQ queue: depth by state and the age of the oldest waiting job.

Read-only (no registry clean-up) and with short Redis timeouts, for ``/readyz`` and ``/metrics``.
"""
from __future__ import annotations

from datetime import timezone

from flask import Flask

from app import clock


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


def queue_stats(app: Flask) -> dict | None:
    """``{"queue": name, "jobs": {"queued": n, "scheduled": n, "started": n, "failed": n,
    "deferred": n}, "oldest_waiting_seconds": float | None}``; ``None`` for the embedded runner.
    Raises Redis' errors when it cannot be read."""
    client = redis_client(app)
    if client is None:
        return None
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    queue = Queue(app.config["RQ_QUEUE"], connection=client)
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
