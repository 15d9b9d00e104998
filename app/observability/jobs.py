"""Run a job observed: its log lines carry its job id and the id of the request that queued it,
and its outcome and duration go to the job metrics (``app.observability.jobstats``).

RQ workers come here through :func:`jobs.runtime.job` (the job id, queue and the request id in
the RQ job's ``meta``); the embedded runner calls :func:`observed_job` itself with ids it made.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager

from flask import current_app

from app.observability import context

log = logging.getLogger("hsyjs.job")


@contextmanager
def observed_job(*, name: str, queue: str, job_id: str | None, request_id: str | None):
    """Run the block as job ``job_id`` (``name`` is its dotted path) for request ``request_id``;
    record ``succeeded`` or ``failed`` (the block raised) and its duration in seconds."""
    started = time.perf_counter()
    outcome = "failed"
    with context.job_context(job=job_id, request=request_id):
        try:
            yield
            outcome = "succeeded"
        finally:
            seconds = time.perf_counter() - started
            _record(queue=queue, name=name, outcome=outcome, seconds=seconds)
            level = logging.INFO if outcome == "succeeded" else logging.WARNING
            log.log(level, "job %s %s in %.1f ms", name, outcome, seconds * 1000,
                    extra={"job": name, "queue": queue, "outcome": outcome, "duration_ms": round(seconds * 1000, 1)})


def _record(*, queue: str, name: str, outcome: str, seconds: float) -> None:
    try:
        current_app.extensions["hsyjs_job_stats"].record(queue=queue, job=name, outcome=outcome, seconds=seconds)
    except Exception as exc:  # noqa: BLE001 - a metrics outage must not fail the job
        log.warning("could not record job metrics (%s)", type(exc).__name__)


def run_job(func, args: tuple, kwargs: dict):
    """Call a job function inside an app context: observed when it is an RQ job not yet observed
    (the embedded runner and a job calling another job are observed once, by the outer run)."""
    if context.job_id() is None:
        from rq import get_current_job

        rq_job = get_current_job()
        if rq_job is not None:
            with observed_job(name=f"{func.__module__}.{func.__name__}", queue=rq_job.origin, job_id=rq_job.id,
                              request_id=(rq_job.meta or {}).get("request_id")):
                return func(*args, **kwargs)
    return func(*args, **kwargs)
