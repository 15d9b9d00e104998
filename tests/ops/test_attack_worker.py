"""The in-process RQ worker (``jobs.worker.AppWorker``, RQ's ``SimpleWorker``) under attack: every
job runs inside the long-lived worker process, stopped at ``app.tasks.job_timeout``, its registry
entry kept ``timeout + AppWorker.ABANDON_MARGIN_SECONDS`` without a heartbeat.

Each test starts real ``python -m jobs.worker`` processes against PostgreSQL + Redis (queues
under a prefix of their own). The first four were written by an attack on the first version of
the in-process worker and each failed then: a swallowed timeout let a job run on forever; a job
stopped inside a database call left its transaction and row locks open; a SIGKILLed worker could
not start again under its own name; a department trickling bytes was re-sent forever.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import REDIS_TEST_URL, ROOT, TEST_QUEUE, drop_postgres, fresh_postgres, start_stack, worker_command
from tests.ops.support import ops_env


def _services_or_skip():
    if os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: PostgreSQL + Redis skipped on this developer machine")


def _spawn(env: dict, log: Path, name: str, queues=()) -> subprocess.Popen:
    """``python -m jobs.worker --name NAME [QUEUE …]`` with ``env`` over this process's environment."""
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    # A session of its own: RQ's scheduler is a forked child that outlives a SIGKILLed worker.
    return subprocess.Popen(worker_command(name, queues), cwd=ROOT, env=full, stdout=open(log, "ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(*workers: subprocess.Popen) -> None:
    """SIGKILL each worker and whatever it forked (its scheduler)."""
    for worker in workers:
        if worker is None:
            continue
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(timeout=30)


def _wait(predicate, timeout: float, message) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, message() if callable(message) else message
        time.sleep(0.05)


def _forget(redis, *patterns: str) -> None:
    """Delete this test's keys: those naming ``patterns``, and the jobs of queues named so."""
    for key in redis.scan_iter("rq:job:*"):
        origin = (redis.hget(key, "origin") or b"").decode()
        if any(pattern in origin for pattern in patterns):
            job_id = key.decode().removeprefix("rq:job:")
            for extra in redis.scan_iter(f"rq:execution*:{job_id}*"):
                redis.delete(extra)
            redis.delete(key, f"rq:results:{job_id}")
    for pattern in patterns:
        for key in redis.scan_iter(f"*{pattern}*"):
            redis.delete(key)
        for member in redis.smembers("rq:workers"):
            if pattern.encode() in member:
                redis.srem("rq:workers", member)


class Blackhole:
    """A TCP port that takes connections and never answers (a gateway behind a dead proxy)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self._held.append(conn)
            self._serve(conn)

    def _serve(self, conn):
        """Read nothing, answer nothing."""

    def close(self):
        self._stop.set()
        for conn in self._held:
            conn.close()
        self.sock.close()


class Trickle(Blackhole):
    """An HTTP peer that reads the request and answers one byte of its headers every half second,
    for ever: each read gets a byte well inside the client's per-read timeout (a department
    behind a proxy that keeps the connection alive but never gets an answer through)."""

    def _serve(self, conn):
        threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Wait: ")
            while not self._stop.is_set():
                conn.sendall(b"a")
                time.sleep(0.5)
        except OSError:
            pass


@pytest.fixture
def pg_stack(tmp_path, monkeypatch):
    """A sandbox stack on a PostgreSQL database of its own and Redis queues under a prefix of
    their own; jobs the API would queue are captured (nothing runs unless a test sends it)."""
    _services_or_skip()
    from redis import Redis

    import app.tasks

    db_name = f"hsyjs_attack_worker_{os.getpid()}"
    prefix = f"hsyjs-attack-{uuid.uuid4().hex[:8]}"
    env = {"DATABASE_URL": fresh_postgres(db_name), "REDIS_URL": REDIS_TEST_URL, "RQ_QUEUE": prefix,
           "RECONCILE_INTERVAL_SECONDS": "0"}
    stack, _ = start_stack("attack", env, tmp_path)
    stack.prefix, stack.workers, stack.captured = prefix, [], []
    monkeypatch.setattr(app.tasks, "enqueue", lambda job, *ids, **kw: stack.captured.append((job, ids)))
    monkeypatch.setitem(stack.app.config, "QUIET_HOURS", None)
    redis = Redis.from_url(REDIS_TEST_URL)
    try:
        yield stack
    finally:
        _stop(*stack.workers)
        stack.server.shutdown()
        with stack.app.app_context():
            from app.extensions import db

            db.engine.dispose()
        drop_postgres(db_name)
        _forget(redis, prefix, TEST_QUEUE)


# --- 1. a job that outlives its timeout ------------------------------------------------------------

def test_a_notification_job_is_stopped_at_its_timeout_when_the_gateway_does_not_answer(pg_stack, tmp_path):
    """The SMS gateway takes connections and never answers. One ``jobs.notify.deliver`` job holds
    a batch of deliveries (the sweep sends up to 50 a job); each send waits NOTIFY_TIMEOUT_SECONDS.

    Expected: RQ stops the job at its timeout (``app.tasks.job_timeout``), and the worker is free
    for the next job. Found: RQ's timeout (SIGALRM → ``JobTimeoutException``, an ``Exception``)
    is caught by ``app.notify.delivery.deliver_many`` like any failed send, so the job goes on to
    the next delivery with no timeout left; in a SimpleWorker nothing else stops it (a forking
    worker killed a horse that overran its timeout). Past ``timeout + ABANDON_MARGIN_SECONDS`` the
    worker's key and the job's registry entry expire while it still runs: RQ counts the worker dead
    and the job abandoned."""
    from redis import Redis
    from rq import Queue
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    from app.extensions import db
    from app.notify.models import Delivery, Notification
    from app.tasks import job_timeout
    from jobs.worker import AppWorker
    from tests.notify.conftest import make_quiet_case

    stack = pg_stack
    case = make_quiet_case(stack, stack.captured)
    for n in range(6):  # 6 events x 3 members = 18 SMS deliveries (no device, no consent)
        case.record(("refund_settled", "supplement_completed")[n % 2], f"第{n + 1}条进度。")
    with stack.app.app_context():
        ids = db.session.execute(
            db.select(Delivery.id).join(Notification, Delivery.notification_id == Notification.id)
            .filter(Notification.case_id == case.case_id, Delivery.channel != "inbox", Delivery.state == "pending")
            .order_by(Delivery.id)).scalars().all()
        db.session.remove()
    assert len(ids) >= 16, ids

    gateway = Blackhole()
    notify_timeout = 3
    timeout = 12  # shorter than job_timeout's (a whole sweep batch), so the test is quick
    assert job_timeout(stack.app.config, "notifications") >= 50 * stack.app.config["NOTIFY_TIMEOUT_SECONDS"]
    overdue = timeout + AppWorker.ABANDON_MARGIN_SECONDS + 3
    assert len(ids) * notify_timeout > overdue + 6  # the batch needs longer than the job may run
    name = f"{stack.prefix}-notify"
    worker = _spawn({**stack.env, "NOTIFY_GATEWAY_URL": f"http://127.0.0.1:{gateway.port}",
                     "NOTIFY_TIMEOUT_SECONDS": str(notify_timeout)},
                    tmp_path / "worker.log", name, ["notifications"])
    stack.workers.append(worker)
    redis = Redis.from_url(REDIS_TEST_URL)
    try:
        job = Queue(f"{stack.prefix}-notifications", connection=redis).enqueue(
            "jobs.notify.deliver", *ids, job_timeout=timeout)
        _wait(lambda: job.get_status(refresh=True) == JobStatus.STARTED, 120,
              lambda: (tmp_path / "worker.log").read_text()[-2000:])
        time.sleep(overdue)  # RQ should have stopped the job long ago
        status = job.get_status(refresh=True)
        expired = job.id in StartedJobRegistry(job.origin, connection=redis).get_expired_job_ids()
        worker_alive = bool(redis.exists(f"rq:worker:{name}"))
        swallowed = (tmp_path / "worker.log").read_text().count("JobTimeoutException")
        assert status != JobStatus.STARTED, (
            f"the job still runs {overdue} s after it started (timeout {timeout} s): JobTimeoutException "
            f"logged {swallowed}x and swallowed; its started entry {'expired (housekeeping will call it abandoned)' if expired else 'kept'}, the "
            f"worker's key {'kept' if worker_alive else 'expired (RQ counts the worker dead)'}")
    finally:
        _stop(worker)
        gateway.close()


# --- 2. SIGKILL, then the same worker started again ------------------------------------------------

def _named_maintenance_worker(tmp_path, host: str):
    """A queue prefix of its own and a worker on its maintenance queue named as systemd names it
    (``%H-%i``, the same on every start); out: ``(prefix, name, env, worker, queue)``."""
    from redis import Redis
    from rq import Queue

    prefix = f"hsyjs-attack-{uuid.uuid4().hex[:8]}"
    name = f"{host}-{prefix}"
    env = {**ops_env(tmp_path), "REDIS_URL": REDIS_TEST_URL, "RQ_QUEUE": prefix}
    worker = _spawn(env, tmp_path / "first.log", name, ["maintenance"])
    return prefix, name, env, worker, Queue(f"{prefix}-maintenance", connection=Redis.from_url(REDIS_TEST_URL))


def test_a_worker_sigkilled_mid_job_comes_back_under_its_own_name(tmp_path):
    """systemd runs each worker as ``python -m jobs.worker --name %H-%i`` with Restart=on-failure
    (deploy/systemd/hsyjs-worker@.service), so a worker that was SIGKILLed (OOM killer, a host
    agent) is started again under the same name.

    Expected: the restarted worker registers and runs the queue's jobs. Found: AppWorker keeps
    its worker key for ``timeout + ABANDON_MARGIN_SECONDS`` when it takes a job (55 s for a
    dispatch job, 615 s for a maintenance job; RQ's 480 s when idle), and RQ refuses to start a
    worker whose name still has a live key ("There exists an active worker named … already"): the
    restarted worker exits 1 and systemd keeps restarting it in vain until the key expires."""
    _services_or_skip()
    from rq.job import JobStatus

    prefix, name, env, first, queue = _named_maintenance_worker(tmp_path, "host-1")
    redis, second = queue.connection, None
    try:
        stand_in = queue.enqueue("time.sleep", 30, job_timeout=600)  # the reconciler's timeout
        _wait(lambda: stand_in.get_status(refresh=True) == JobStatus.STARTED, 120,
              lambda: (tmp_path / "first.log").read_text()[-2000:])
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        time.sleep(2)  # RestartSec=2
        second = _spawn(env, tmp_path / "second.log", name, ["maintenance"])
        probe = queue.enqueue("time.sleep", 0, job_timeout=600)
        deadline = time.monotonic() + 45
        while probe.get_status(refresh=True) != JobStatus.FINISHED and time.monotonic() < deadline:
            if second.poll() is not None:
                break
            time.sleep(0.1)
        log = (tmp_path / "second.log").read_text()
        assert second.poll() is None and probe.get_status(refresh=True) == JobStatus.FINISHED, (
            f"restarted worker exit={second.poll()}; worker key TTL left {redis.ttl(f'rq:worker:{name}')} s\n"
            + log[-1200:])
    finally:
        _stop(first, second)
        _forget(redis, prefix)


# --- 3. a job stopped by its timeout while it waits for the database ------------------------------

def _file_case(stack) -> str:
    from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example

    clerk = Api(stack.base_url).as_staff()
    form = fresh_worked_example()
    return clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()["id"]


def _case_with_one_pending_matter(stack, **values) -> tuple[str, str]:
    """A case filed at the window with every matter held (``idle``) but its first, ``pending``
    (with ``values`` set on it too): out ``(case_id, matter_id)``."""
    from app.extensions import db
    from app.matters.models import Matter

    case_id = _file_case(stack)
    with stack.app.app_context():
        matter_id = db.session.execute(
            db.select(Matter.id).filter_by(case_id=case_id).order_by(Matter.id).limit(1)).scalar_one()
        db.session.execute(db.update(Matter).where(Matter.case_id == case_id).values(dispatch_state="idle"))
        db.session.execute(db.update(Matter).where(Matter.id == matter_id).values(dispatch_state="pending", **values))
        db.session.commit()
        db.session.remove()
    return case_id, matter_id


def _backends(url: str, db_name: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT pid, state, left(query, 70) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (db_name,)).fetchall()


def test_a_job_stopped_by_its_timeout_while_waiting_for_a_row_lock_leaves_no_transaction_open(pg_stack, tmp_path):
    """A department callback (or an operator) holds a matter's row lock a little longer than the
    reconciler's job may run. RQ stops the job (SIGALRM → ``JobTimeoutException`` raised inside
    psycopg's wait for the server's answer).

    Expected: the job fails, its transaction is rolled back, and once the other transaction ends
    the matter can be locked and worked on again; the worker's next job runs. Found: psycopg
    cancels a query only on KeyboardInterrupt, so the connection stays "another command is already
    in progress", the rollback at teardown fails and the connection is neither rolled back nor
    closed. The server finishes the UPDATE when the lock is free and then sits "idle in
    transaction" for as long as the worker lives, holding the matter's row lock: every later
    reconcile, dispatch or callback of that matter waits forever. (A forked work-horse exited
    after its job and took its connections with it.)"""
    import psycopg
    from redis import Redis
    from rq import Queue
    from rq.job import JobStatus

    stack = pg_stack
    _, matter_id = _case_with_one_pending_matter(stack)
    url, db_name = stack.env["DATABASE_URL"], stack.env["DATABASE_URL"].rsplit("/", 1)[1]
    worker = _spawn({**stack.env, "RECONCILE_AFTER_SECONDS": "0"}, tmp_path / "worker.log",
                    f"{stack.prefix}-lock", ["maintenance"])
    stack.workers.append(worker)
    queue = Queue(f"{stack.prefix}-maintenance", connection=Redis.from_url(REDIS_TEST_URL))

    def run_reconcile(timeout: int) -> object:
        job = queue.enqueue("jobs.maintenance.reconcile", job_timeout=timeout)
        _wait(lambda: job.get_status(refresh=True) in {JobStatus.FINISHED, JobStatus.FAILED}, 120,
              lambda: (tmp_path / "worker.log").read_text()[-2000:])
        return job

    assert run_reconcile(600).get_status() == JobStatus.FINISHED  # the worker is up and the job works

    holder = psycopg.connect(url)  # another transaction holds the matter's row for a while
    holder.execute("SELECT id FROM matters WHERE id = %s FOR UPDATE", (matter_id,))
    stopped = run_reconcile(3)
    assert stopped.get_status() == JobStatus.FAILED and "JobTimeoutException" in (stopped.latest_result().exc_string or "")
    holder.commit()
    holder.close()
    time.sleep(1)

    with psycopg.connect(url) as probe:
        probe.execute("SET lock_timeout = '5s'")
        try:
            probe.execute("SELECT id FROM matters WHERE id = %s FOR UPDATE", (matter_id,))
            locked = None
        except psycopg.errors.LockNotAvailable as exc:
            locked = str(exc).splitlines()[0]
    assert locked is None, (f"the matter is still locked after the job was stopped: {locked}; "
                            f"backends: {_backends(url, db_name)}")
    assert run_reconcile(10).get_status() == JobStatus.FINISHED, (tmp_path / "worker.log").read_text()[-1500:]


# --- 4. a department that hangs ---------------------------------------------------------------------

def test_a_dispatch_stopped_by_its_timeout_counts_as_a_failed_send(pg_stack, tmp_path):
    """A department keeps the connection open and answers a byte at a time, so no read ever times
    out (``requests``' timeout is per read, not for the whole call); RQ stops the dispatch job at
    its timeout.

    Expected (app.departments.service.dispatch_matter): a send that did not succeed is a
    transient failure — ``dispatch_tries`` counts it, the reason is kept in ``dispatch_error``,
    a retry is scheduled, and after ``DEPARTMENT_MAX_ATTEMPTS`` the matter is ``failed`` where
    staff see it. Found: the job dies with ``JobTimeoutException`` before any of that; the matter
    stays ``pending`` with 0 tries and no error, so the reconciler re-sends it every
    ``RECONCILE_AFTER_SECONDS`` for ever, each send holding a worker for the whole timeout, and it
    never reaches the dead-letter list."""
    from redis import Redis
    from rq import Queue
    from rq.job import JobStatus

    from app.config import load_config
    from app.extensions import db
    from app.matters.models import Matter
    from app.tasks import job_timeout

    stack = pg_stack
    _, matter_id = _case_with_one_pending_matter(stack, dispatch_tries=0, next_attempt_at=None)
    department = Trickle()
    worker_env = {**stack.env, "DEPARTMENT_BASE_URL": f"http://127.0.0.1:{department.port}/departments",
                  "DEPARTMENT_TIMEOUT_SECONDS": "1", "DEPARTMENT_MAX_ATTEMPTS": "2"}
    timeout = job_timeout(load_config(worker_env), "dispatch")  # what the worker's own app would set
    worker = _spawn(worker_env, tmp_path / "worker.log", f"{stack.prefix}-hang", ["dispatch"])
    stack.workers.append(worker)
    try:
        job = Queue(f"{stack.prefix}-dispatch", connection=Redis.from_url(REDIS_TEST_URL)).enqueue(
            "jobs.matters.dispatch_matter", matter_id, job_timeout=timeout)
        _wait(lambda: job.get_status(refresh=True) in {JobStatus.FINISHED, JobStatus.FAILED}, timeout + 60,
              lambda: (tmp_path / "worker.log").read_text()[-2000:])
        exc = job.latest_result().exc_string or ""
        with stack.app.app_context():
            matter = db.session.get(Matter, matter_id)
            seen = (matter.dispatch_state, matter.dispatch_tries, matter.dispatch_error, matter.next_attempt_at)
            db.session.remove()
        assert seen[1] >= 1 or seen[0] != "pending", (
            f"after the job ({job.get_status()}, {'JobTimeoutException' if 'JobTimeout' in exc else exc[-200:]}) the "
            f"matter is (state, tries, error, next attempt) = {seen}: nothing counted, nothing scheduled")
    finally:
        _stop(worker)
        department.close()


# --- 5. code that swallows the stop ---------------------------------------------------------------

def sleeps_through_every_stop(seconds: int) -> None:
    """A job that catches everything, RQ's timeout included (run by the worker under test)."""
    for _ in range(seconds):
        try:
            time.sleep(1)
        except Exception:  # noqa: BLE001 - the point of this job
            pass


def test_a_job_that_swallows_its_timeout_is_recorded_failed_and_its_worker_starts_again(tmp_path):
    """The backstop (AppWorker.BACKSTOP_SECONDS): a job still running after its timeout is
    recorded failed, the worker exits 75 for its supervisor, and the worker started again under
    the same name takes over its registration and runs the next job."""
    _services_or_skip()
    from rq.job import JobStatus

    from jobs.worker import AppWorker

    prefix, name, env, first, queue = _named_maintenance_worker(tmp_path, "host-2")
    redis, second = queue.connection, None
    try:
        stubborn = queue.enqueue(f"{__name__}.sleeps_through_every_stop", 120, job_timeout=2)
        _wait(lambda: stubborn.get_status(refresh=True) == JobStatus.STARTED, 120,
              lambda: (tmp_path / "first.log").read_text()[-2000:])
        assert first.wait(timeout=2 + AppWorker.BACKSTOP_SECONDS + 30) == 75
        assert stubborn.get_status(refresh=True) == JobStatus.FAILED
        second = _spawn(env, tmp_path / "second.log", name, ["maintenance"])
        probe = queue.enqueue("time.sleep", 0, job_timeout=60)
        _wait(lambda: probe.get_status(refresh=True) == JobStatus.FINISHED or second.poll() is not None, 120,
              lambda: (tmp_path / "second.log").read_text()[-2000:])
        assert second.poll() is None and probe.get_status(refresh=True) == JobStatus.FINISHED, (
            (tmp_path / "second.log").read_text()[-1500:])
    finally:
        _stop(first, second)
        _forget(redis, prefix)
