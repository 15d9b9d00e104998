"""The one door from ``app/`` to ``jobs/``: enqueue a job by name, after the transaction commits.

With ``REDIS_URL`` the job goes to RQ for ``rq worker --with-scheduler`` processes
(``python -m jobs.worker``). Without it an embedded runner (a thread pool in this process) runs
the *same* job function in the background, never inside the request. Jobs receive ids only,
never ORM objects or private data.

Queues (issue 10 §1): :data:`JOB_QUEUES` puts every job on one logical queue of
``app.config.QUEUES`` — dispatch, notifications or maintenance — and is the only place that does;
callers name the job, never a queue. On Redis the logical queue ``q`` is the RQ queue
:func:`queue_name` ``(RQ_QUEUE, q)`` = ``f"{RQ_QUEUE}-{q}"``. The embedded runner has one pool
for all of them (it checks the job is mapped, so a job missing here fails in every mode).
"""
from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.config import QUEUES

log = logging.getLogger(__name__)
_PENDING = "hsyjs_pending_jobs"
#: Deliveries one notification job sends at most (``app.notify.delivery.sweep`` batches by it).
NOTIFY_BATCH = 50

#: Every job (dotted path in ``jobs``) and its logical queue: what a department waits for, what
#: a family is told, and the periodic housekeeping each get workers of their own if need be
#: (README "Operations"). A job missing here cannot be queued.
JOB_QUEUES = {
    # dispatch: cases accepted, matters sent to departments (and their retries), sandbox departments.
    "jobs.cases.accept_case": "dispatch",
    "jobs.matters.dispatch_matter": "dispatch",
    "jobs.sandbox.work_matter": "dispatch",
    # notifications: push / SMS deliveries and the sweep of deliveries now due.
    "jobs.notify.deliver": "notifications",
    "jobs.notify.sweep": "notifications",
    # maintenance: the periodic jobs of jobs/cron.py that keep the rest honest.
    "jobs.maintenance.reconcile": "maintenance",
    "jobs.supervision.sla_scan": "maintenance",
    "jobs.privacy.purge": "maintenance",
}


def queue_of(job: str) -> str:
    """The logical queue of ``job`` (dotted path). Raises ``ValueError`` for a job not in
    :data:`JOB_QUEUES`."""
    try:
        return JOB_QUEUES[job]
    except KeyError:
        raise ValueError(f"job {job} has no queue: add it to app.tasks.JOB_QUEUES") from None


def job_timeout(config: dict, queue: str) -> int:
    """Seconds a job on logical ``queue`` may run before RQ stops it (it then counts as failed and
    the reconciler sends its work again). A dispatch job makes at most two calls
    to a department or channel (``DEPARTMENT_TIMEOUT_SECONDS`` each) and a few database round
    trips; a notification job up to :data:`NOTIFY_BATCH` sends of ``NOTIFY_TIMEOUT_SECONDS``; the
    periodic maintenance jobs walk tables (``MAINTENANCE_JOB_TIMEOUT_SECONDS``).

    Also how soon a job whose worker was killed is known to be abandoned (``jobs.worker``)."""
    if queue == "maintenance":
        return int(config["MAINTENANCE_JOB_TIMEOUT_SECONDS"])
    if queue == "notifications":  # a sweep sends up to NOTIFY_BATCH deliveries in one job
        return int(NOTIFY_BATCH * config["NOTIFY_TIMEOUT_SECONDS"]) + 20
    return int(2 * config["DEPARTMENT_TIMEOUT_SECONDS"]) + 20


def is_job_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is RQ stopping the running job at its timeout (:func:`job_timeout`): code
    that catches broad exceptions must let it through, or say what the cut-off work means."""
    from rq.timeouts import JobTimeoutException

    return isinstance(exc, JobTimeoutException)


def queue_name(prefix: str, queue: str) -> str:
    """The RQ queue name of logical queue ``queue`` under ``prefix`` (config ``RQ_QUEUE``):
    ``"hsyjs", "dispatch"`` → ``"hsyjs-dispatch"``. Raises ``ValueError`` for an unknown queue."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; known: {', '.join(QUEUES)}")
    return f"{prefix}-{queue}"


def queue_names(config: dict, queues=None) -> list[str]:
    """RQ queue names for ``queues`` (logical names; default config ``RQ_QUEUES``), in that
    order — what a worker listens on. Raises ``ValueError`` for an unknown queue."""
    return [queue_name(config["RQ_QUEUE"], queue) for queue in (queues or config["RQ_QUEUES"])]


def enqueue_after_commit(job: str, *ids: str | int, delay_seconds: float = 0) -> None:
    """Queue ``job`` (dotted path in ``jobs``) with ``ids`` once the current session commits.

    Nothing is sent if the transaction rolls back, so a job never sees uncommitted rows.
    """
    from app.extensions import db

    db.session().info.setdefault(_PENDING, []).append((job, ids, delay_seconds))


def enqueue(job: str, *ids: str | int, delay_seconds: float = 0, app: Flask | None = None) -> None:
    """Send ``job`` now (use :func:`enqueue_after_commit` inside a transaction)."""
    app = app or current_app._get_current_object()
    runner = app.extensions["hsyjs_runner"]
    runner.submit(job, ids, delay_seconds)


def enqueue_once(job: str, *ids: str | int, app: Flask | None = None) -> bool:
    """Send ``job`` unless the same job for the same ids is still waiting or running.

    The reconciler uses it: re-sending work faster than workers drain it would pile duplicates
    up in the queue (seen in the chaos run: 68,000 jobs after a Redis restart). Out: sent or not.
    """
    app = app or current_app._get_current_object()
    return app.extensions["hsyjs_runner"].submit_once(job, ids)


@event.listens_for(Session, "after_commit")
def _flush_pending(session: Session) -> None:
    # SQLAlchemy also calls this when a SAVEPOINT (begin_nested) is released inside the
    # transaction: the jobs wait for the real commit, or a job would read rows not yet committed.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    for job, ids, delay in pending or []:
        try:
            enqueue(job, *ids, delay_seconds=delay)
        except Exception as exc:  # noqa: BLE001 - the queue is transport only
            # The change is committed and its state is in the database: the reconciler sends
            # this job again once the queue is back. The caller's answer must not turn into an error.
            log.warning("could not queue %s (%s); the reconciler will", job, type(exc).__name__, extra={"job": job})


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    # A savepoint rolled back leaves the transaction (and its jobs) alive; a job whose rows went
    # with the savepoint finds nothing to do (every job checks the state it acts on).
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING, None)


def resolve(job: str):
    module, _, name = job.rpartition(".")
    if not module.startswith("jobs."):
        raise ValueError(f"jobs live in the jobs package: {job}")
    return getattr(importlib.import_module(module), name)


class RQRunner:
    """Jobs to Redis, each to its queue's RQ queue, for separate ``rq worker`` processes."""

    def __init__(self, app: Flask):
        self.url = app.config["REDIS_URL"]
        #: logical queue → RQ queue name (tests point one elsewhere to hold its jobs back).
        self.names = {queue: queue_name(app.config["RQ_QUEUE"], queue) for queue in QUEUES}
        self.timeouts = {queue: job_timeout(app.config, queue) for queue in QUEUES}
        self._local = threading.local()

    def _target(self, job: str):
        """This thread's RQ queue for ``job`` and the job's timeout. Raises ``ValueError`` for a
        job without a queue."""
        logical = queue_of(job)
        return self._queue(logical), self.timeouts[logical]

    def _queue(self, queue: str):
        """This thread's RQ ``Queue`` for logical queue ``queue`` (one Redis client a thread)."""
        name = self.names[queue]
        cache = getattr(self._local, "queues", None)
        if cache is None:
            from redis import Redis

            cache = self._local.queues = {}
            self._local.connection = Redis.from_url(self.url)
        if name not in cache:
            from rq import Queue

            cache[name] = Queue(name, connection=self._local.connection)
        return cache[name]

    def housekeeping(self) -> None:
        """Move jobs of dead workers out of RQ's started registries (RQ itself does this only
        every ten minutes); the reconciler then re-sends their work from the database."""
        from rq.registry import StartedJobRegistry

        for queue in QUEUES:
            StartedJobRegistry(queue=self._queue(queue)).cleanup()

    def submit_once(self, job: str, ids: tuple) -> bool:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        resolve(job)
        job_id = "once_" + "_".join([job.replace(".", "_"), *(str(i) for i in ids)])
        queue, timeout = self._target(job)
        try:
            status = Job.fetch(job_id, connection=queue.connection).get_status(refresh=True)
        except NoSuchJobError:
            status = None
        if status is not None and getattr(status, "value", status) in {"queued", "started", "scheduled", "deferred"}:
            return False
        from app.observability.context import request_id

        queue.enqueue(job, *ids, job_id=job_id, meta={"request_id": request_id()}, job_timeout=timeout)
        return True

    def submit(self, job: str, ids: tuple, delay_seconds: float) -> None:
        resolve(job)  # fail here, in the caller, on a misspelt job
        queue, timeout = self._target(job)  # … or on one without a queue
        from app.observability.context import request_id

        meta = {"request_id": request_id()}  # the job's log lines carry the request's id (ids only)
        if delay_seconds > 0:
            queue.enqueue_in(timedelta(seconds=delay_seconds), job, *ids, meta=meta, job_timeout=timeout)
        else:
            queue.enqueue(job, *ids, meta=meta, job_timeout=timeout)


class EmbeddedRunner:
    """Runs job functions on a thread pool inside this process, each in its own app context.

    One pool for every queue (a job's queue is checked, not used): in one small process
    there are no separate workers to give a queue, and the metrics say ``queue="embedded"``."""

    def __init__(self, app: Flask):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=app.config["EMBEDDED_RUNNER_THREADS"], thread_name_prefix="job")
        self._inflight = 0
        self._once: set = set()  # (job, ids) sent by submit_once and not finished yet
        self._cond = threading.Condition()
        self._interval = app.config["RECONCILE_INTERVAL_SECONDS"]
        self._timer_started = False

    def housekeeping(self) -> None:
        """Nothing to clean: the embedded runner keeps no registry."""

    def start_periodic(self) -> None:
        """Run the reconciler every ``RECONCILE_INTERVAL_SECONDS`` (the embedded twin of ``rq cron``),
        and the notification sweep and SLA scan at their own intervals."""
        if self._timer_started or self._interval <= 0:
            return
        self._timer_started = True

        def loop():
            sla_every, last_scan = self.app.config["SLA_SCAN_INTERVAL_SECONDS"], time.monotonic()
            sweep_every, last_sweep = self.app.config["NOTIFY_SWEEP_SECONDS"], time.monotonic()
            last_purge = time.monotonic()
            while True:
                time.sleep(self._interval)
                self.submit("jobs.maintenance.reconcile", (), 0)
                if 0 < sweep_every <= time.monotonic() - last_sweep:  # pushes now due (app.notify.delivery)
                    last_sweep = time.monotonic()
                    self.submit("jobs.notify.sweep", (), 0)
                if 0 < sla_every <= time.monotonic() - last_scan:  # deadlines (app.supervision.sla)
                    last_scan = time.monotonic()
                    self.submit("jobs.supervision.sla_scan", (), 0)
                if time.monotonic() - last_purge >= 24 * 3600:  # retention (app.privacy), daily
                    last_purge = time.monotonic()
                    self.submit("jobs.privacy.purge", (), 0)

        threading.Thread(target=loop, daemon=True, name="reconciler").start()

    def submit_once(self, job: str, ids: tuple) -> bool:
        key = (job, tuple(ids))
        with self._cond:
            if key in self._once:
                return False
            self._once.add(key)
        self.submit(job, ids, 0, _once_key=key)
        return True

    def submit(self, job: str, ids: tuple, delay_seconds: float, _once_key=None) -> None:
        self.start_periodic()
        func = resolve(job)
        queue_of(job)  # a job without a queue fails here as it would on Redis
        with self._cond:
            self._inflight += 1
        from app.observability.context import request_id

        self.pool.submit(self._run, job, func, ids, delay_seconds, request_id(), _once_key)

    def _run(self, job, func, ids, delay_seconds, request_id=None, once_key=None) -> None:
        from app.observability.jobs import observed_job

        try:
            if delay_seconds > 0:
                time.sleep(delay_seconds)
            with self.app.app_context(), observed_job(name=job, queue="embedded", job_id=uuid.uuid4().hex,
                                                      request_id=request_id):
                func(*ids)
        except Exception as exc:  # a failed job must not kill the pool; its state is in the database
            # Type only: a message can quote values (issue 6 §4).
            log.error("job %s failed: %s", job, type(exc).__name__, extra={"job": job})
        finally:
            with self._cond:
                self._inflight -= 1
                self._once.discard(once_key)
                self._cond.notify_all()

    def wait_idle(self, timeout: float = 30) -> bool:
        """Block until no job is running or queued (tests and the CLI use this)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._inflight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True


def housekeeping(app: Flask | None = None) -> None:
    """Clean the queues' bookkeeping of dead workers (called by the reconciler)."""
    app = app or current_app._get_current_object()
    try:
        app.extensions["hsyjs_runner"].housekeeping()
    except Exception as exc:  # noqa: BLE001 - a queue outage must not stop the reconciler
        log.warning("queue housekeeping failed: %s", type(exc).__name__)


def init_app(app: Flask) -> None:
    runner = RQRunner(app) if app.config["REDIS_URL"] else EmbeddedRunner(app)
    app.extensions["hsyjs_runner"] = runner
    if isinstance(runner, EmbeddedRunner):
        # The periodic jobs start with the first request (not at import, not for CLI commands),
        # so work left half-done by a killed server is picked up as soon as it serves again.
        app.before_request(runner.start_periodic)
