"""Scaling out — issue 10 §6: two API processes (gunicorn, gthread) and two ``rq worker``
processes against one PostgreSQL and one Redis keep no state of their own.

- a staff token issued by API A is accepted by API B; a family's platform login code issued by A
  is exchanged at B and B's token works at A;
- a case filed through A is dispatched by the workers to the sandbox departments served by B,
  whose callbacks land on B, and is seen completed through A;
- the jobs the request to A queued ran on the workers, with A's request id on their log lines;
  both workers ran jobs;
- job metrics are shared: A and B report the same job counts.
"""
from __future__ import annotations

import json
import os
import random
import socket
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from tests.conftest import REDIS_TEST_URL, ROOT, drop_postgres, fresh_postgres, start_worker
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example
from tests.ops.metrics_parse import samples, value
from tests.ops.support import make_app, ops_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_api(env: dict, port: int, log: Path, *, processes: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    return subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py"], cwd=ROOT,
        env={**os.environ, **env, "BIND": f"127.0.0.1:{port}", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
             "WEB_CONCURRENCY": str(processes), "GUNICORN_THREADS": "8", "PYTHONPATH": str(ROOT),
             "PYTHONOPTIMIZE": "2"},  # as served in production (make serve-prod, deploy/)
        stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def _wait_ready(base_url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"API process exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still booting
            pass
        time.sleep(0.1)
    raise AssertionError(f"API at {base_url} not ready in {timeout}s: {log.read_text()[-2000:]}")


def _job_lines(log: Path) -> list[dict]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            line = json.loads(raw)
            if line.get("logger") == "hsyjs.job":
                lines.append(line)
    return lines


@pytest.fixture
def two_of_everything(tmp_path):
    if os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: PostgreSQL + Redis skipped on this developer machine")
    db_name, queue = f"hsyjs_ops_scale_{os.getpid()}", f"hsyjs-ops-scale-{uuid.uuid4().hex[:8]}"
    env = {**ops_env(tmp_path, DATABASE_URL=fresh_postgres(db_name), REDIS_URL=REDIS_TEST_URL, RQ_QUEUE=queue,
                     RATELIMIT_KEY_PREFIX=queue, LOG_FORMAT="json"),
           "RECONCILE_INTERVAL_SECONDS": "30"}
    ports = _free_port(), _free_port()
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    # Processes boot (nothing touches the database until a request or a job) while the deploy step
    # runs: flask db upgrade, then the sandbox's seed. /readyz waits for both.
    # A runs two gunicorn worker processes (its metrics are summed across them), B one.
    apis = [_start_api(env, port, tmp_path / f"api{i}.log", processes=2 - i) for i, port in enumerate(ports)]
    # The workers' own address for departments and callbacks is API B: work crosses processes.
    worker_env = {**env, "PUBLIC_BASE_URL": urls[1]}
    workers = [start_worker(SimpleNamespace(env=worker_env), tmp_path / f"scale-w{i}.log") for i in range(2)]
    try:
        setup = make_app(env)
        with setup.app_context():
            from app.cli import seed_sandbox
            from app.extensions import db

            seed_sandbox()
            db.engine.dispose()
        for i, url in enumerate(urls):
            _wait_ready(url, apis[i], tmp_path / f"api{i}.log")
        yield SimpleNamespace(a=urls[0], b=urls[1], queue=queue, worker_logs=[tmp_path / f"scale-w{i}.log" for i in range(2)])
    finally:
        for process in apis + workers:
            process.terminate()
        for process in apis + workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        from redis import Redis

        redis = Redis.from_url(REDIS_TEST_URL)
        for key in redis.scan_iter(f"*{queue}*"):
            redis.delete(key)
        drop_postgres(db_name)


def test_two_api_processes_and_two_workers_share_nothing_but_postgresql_and_redis(two_of_everything):
    a, b = two_of_everything.a, two_of_everything.b
    form = fresh_worked_example()

    clerk_at_a = Api(a).as_staff()
    clerk_at_b = Api(b, clerk_at_a.token)  # A's token, used at B

    request_id = "scale-" + "".join(random.choices(string.ascii_lowercase, k=12))  # no digit run to mask
    created = clerk_at_a.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS},
                              headers={"X-Request-Id": request_id}, expect=201)
    assert created.headers["X-Request-Id"] == request_id
    case_id = created.json()["id"]
    assert clerk_at_b.get(f"/api/v1/cases/{case_id}", expect=200).json()["id"] == case_id

    # A family member gets a login code from A's sandbox platform and exchanges it at B.
    applicant = form["applicant"]
    code = Api(a).post("/sandbox/platform/login-codes", expect=201, json={
        "name": applicant["name"], "id_number": applicant["id_number"], "phone": applicant["phone"]}).json()["code"]
    token = Api(b).post("/api/v1/auth/platform-login", json={"code": code}, expect=200).json()["access_token"]
    family_at_a = Api(a, token)
    qr = clerk_at_b.get(f"/api/v1/cases/{case_id}/qrcode?format=json", expect=200).json()["token"]
    family_at_a.post("/api/v1/scan/bind", json={"token": qr}, expect=200)

    done = family_at_a.wait_for_case(case_id, all_final, timeout=90)  # worked by the workers, reported to B
    assert all(m["status"] == "done" for m in done["matters"])
    assert Api(b, token).get(f"/api/v1/cases/{case_id}", expect=200).json()["status"] == "completed"

    per_worker = [_job_lines(log) for log in two_of_everything.worker_logs]
    assert all(per_worker), "each worker ran jobs"
    from_a = [line for lines in per_worker for line in lines if line["request_id"] == request_id]
    assert {line["job"] for line in from_a} >= {"jobs.matters.dispatch_matter"}
    assert all(line["job_id"] for line in from_a)

    first_a = samples(requests.get(f"{a}/metrics", timeout=10).text)
    at_b = samples(requests.get(f"{b}/metrics", timeout=10).text)
    second_a = samples(requests.get(f"{a}/metrics", timeout=10).text)
    # Counted under the RQ queue the job ran on: dispatch's, under this run's prefix.
    key = {"queue": f"{two_of_everything.queue}-dispatch", "job": "jobs.matters.dispatch_matter", "outcome": "succeeded"}
    assert 0 < value(first_a, "hsyjs_jobs_total", **key) <= value(at_b, "hsyjs_jobs_total", **key) \
        <= value(second_a, "hsyjs_jobs_total", **key)
    # Requests are counted across A's two worker processes (PROMETHEUS_MULTIPROC_DIR).
    assert value(second_a, "hsyjs_http_requests_total", route="/api/v1/cases", method="POST", status="201") == 1
    assert value(at_b, "hsyjs_http_requests_total", route="/api/v1/cases", method="POST", status="201") == 0
