"""Live stacks for the journey tests: the embedded default and PostgreSQL + Redis + rq workers.

Both serve the app over real HTTP on 127.0.0.1 (the adapters and the sandbox departments talk
HTTP), run the Alembic migrations, and seed the sandbox windows and staff. The PostgreSQL stack
uses its own database ``hsyjs_test_<pid>`` (dropped afterwards) and its own RQ queues
``hsyjs_test_<pid>-dispatch`` (``-notifications``, ``-maintenance``: ``RQ_QUEUE`` is their prefix)
on Redis, with two real ``rq worker --with-scheduler`` processes on all of them, so several test
runs on one machine do not disturb each other.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_TEST_DB = f"hsyjs_test_{os.getpid()}"
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_QUEUE = f"hsyjs_test_{os.getpid()}"

TEST_SECRETS = {
    "JWT_SECRET": "test-jwt-secret-0123456789abcdef0123456789abcdef",
    "QR_SECRET": "test-qr-secret-0123456789abcdef0123456789abcdef",
    # Test-only data keys (32 bytes each, base64): "t1" seals.
    "DATA_KEYS": '{"t1": "dGVzdC1kYXRhLWtleS0xLTAxMjM0NTY3ODlhYmNkZWY="}',
    "DATA_KEY_ID": "t1",
    "BLIND_INDEX_KEY": "test-blind-index-key-0123456789abcdef",
    "DEPARTMENT_CALLBACK_SECRETS": "",  # filled per department below
}


def _test_rate_limits() -> dict:
    from app.config import RATE_LIMIT_DEFAULTS

    return {name: "100000/minute" for name in RATE_LIMIT_DEFAULTS}


TEST_RATE_LIMITS = _test_rate_limits()


def _callback_secrets() -> str:
    import json

    from app.config import DEPARTMENTS

    return json.dumps({d: [f"test-callback-secret-{d}-0123456789abcdef"] for d in DEPARTMENTS})


class _Holder:
    """A WSGI app whose target is set after the server has its port."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class LiveStack:
    def __init__(self, mode: str, app, server, base_url: str, env: dict, workers=()):
        self.mode, self.app, self.server, self.base_url, self.env = mode, app, server, base_url, env
        self.workers = list(workers)

    def wait_idle(self, timeout: float = 30) -> None:
        runner = self.app.extensions["hsyjs_runner"]
        if hasattr(runner, "wait_idle"):
            runner.wait_idle(timeout)


def start_stack(mode: str, env: dict, tmp: Path) -> tuple[LiveStack, threading.Thread]:
    """Serve a migrated, seeded app over HTTP on 127.0.0.1; ``env`` adds to the test settings."""
    return _start(mode, env, tmp)


def _start(mode: str, env: dict, tmp: Path) -> tuple[LiveStack, threading.Thread]:
    from app import create_app
    from app.config import load_config

    holder = _Holder()
    server = make_server("127.0.0.1", 0, holder, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    env = {"PUBLIC_BASE_URL": base_url, "SANDBOX": "1", "SANDBOX_DEPARTMENT_LATENCY_SECONDS": "0",
           "JWT_SECRET": TEST_SECRETS["JWT_SECRET"], "QR_SECRET": TEST_SECRETS["QR_SECRET"],
           "DATA_KEYS": TEST_SECRETS["DATA_KEYS"], "DATA_KEY_ID": TEST_SECRETS["DATA_KEY_ID"],
           "BLIND_INDEX_KEY": TEST_SECRETS["BLIND_INDEX_KEY"],
           "DEPARTMENT_CALLBACK_SECRETS": _callback_secrets(),
           # Short retries and timeouts so outage tests finish in seconds.
           "DEPARTMENT_RETRY_BASE_SECONDS": "0.2", "DEPARTMENT_RETRY_CAP_SECONDS": "1",
           "DEPARTMENT_TIMEOUT_SECONDS": "2", "DEPARTMENT_MAX_ATTEMPTS": "6",
           # Journeys sign in and scan many times from one address: raise the limits (tests of the
           # limits themselves set low ones) and keep this run's counters apart in Redis.
           **TEST_RATE_LIMITS, "RATELIMIT_KEY_PREFIX": TEST_QUEUE,
           "UPLOAD_DIR": str(tmp / "uploads"),  # never the repository's instance/
           **env}
    app = create_app(load_config(env))
    holder.app = app
    with app.app_context():
        import flask_migrate

        from app.cli import seed_sandbox

        flask_migrate.upgrade(revision="heads")
        seed_sandbox()
    thread = threading.Thread(target=server.serve_forever, daemon=True, name=f"live-{mode}")
    thread.start()
    stack = LiveStack(mode, app, server, base_url, env)
    stack.tmp = tmp
    return stack, thread


@pytest.fixture(scope="session")
def embedded_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("embedded")
    stack, _ = _start("embedded", {"DATABASE_URL": f"sqlite:///{tmp / 'test.sqlite3'}"}, tmp)
    yield stack
    stack.wait_idle()
    stack.server.shutdown()


def fresh_postgres(name: str = PG_TEST_DB) -> str:
    """Create an empty database ``name`` (dropping an old one); out: its URL."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (run .ci/run, which starts it): {exc}")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres(name: str = PG_TEST_DB) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check_redis() -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=5).ping()
    except RedisConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_TEST_URL} (run .ci/run, which starts it): {exc}")


def worker_command(name: str, queues=()) -> list[str]:
    """A worker's command line as the Makefile and the deploy files run it (``python -m
    jobs.worker``): on ``queues`` (logical names), else ``RQ_QUEUES``, else every queue."""
    return [sys.executable, "-m", "jobs.worker", "--name", name, *queues]


def start_worker(stack: LiveStack, log_path: Path, queues=()) -> subprocess.Popen:
    """A real ``rq worker --with-scheduler`` process on the stack's queues (all, or ``queues``)."""
    env = {**os.environ, **stack.env, "PYTHONPATH": str(ROOT)}
    log = open(log_path, "ab")
    return subprocess.Popen(worker_command(f"test-{log_path.stem}-{os.getpid()}", queues),
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="session")
def postgres_stack(tmp_path_factory):
    if os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: PostgreSQL + Redis stack skipped on this developer machine")
    tmp = tmp_path_factory.mktemp("postgres")
    database_url = fresh_postgres()
    _check_redis()
    stack, _ = _start("postgres", {"DATABASE_URL": database_url, "REDIS_URL": REDIS_TEST_URL, "RQ_QUEUE": TEST_QUEUE},
                      tmp)
    stack.workers = [start_worker(stack, tmp / f"worker{i}.log") for i in range(2)]
    yield stack
    for worker in stack.workers:
        worker.terminate()
    for worker in stack.workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
    stack.server.shutdown()
    with stack.app.app_context():
        from app.extensions import db

        db.engine.dispose()
    drop_postgres()


@pytest.fixture(params=["embedded", "postgres"])
def stack(request) -> LiveStack:
    """Each journey test runs on both the embedded default and PostgreSQL + Redis + workers."""
    return request.getfixturevalue(f"{request.param}_stack")


@pytest.fixture
def frozen_clock():
    """Set the product's clock (``app.clock``) for in-process stacks; released afterwards."""
    from app import clock

    yield clock.set_now
    clock.set_now(None)
