"""Processes — issue 10 §1: the gunicorn settings, workers listening on every queue the code uses,
and a SIGTERM'd RQ worker finishing the job it runs (graceful shutdown)."""
from __future__ import annotations

import os
import re
import runpy
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import REDIS_TEST_URL, ROOT
from tests.ops.support import ops_env


def test_gunicorn_uses_threads_so_a_request_can_call_this_same_server(monkeypatch, tmp_path):
    """Sandbox platform login calls /sandbox/platform on this server over HTTP: a single-threaded
    sync worker would wait for itself until its timeout."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "5099")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gthread" and settings["threads"] > 1
    assert settings["workers"] == 3 and settings["bind"] == "127.0.0.1:5099"
    assert settings["graceful_timeout"] > 0 and settings["preload_app"] is False
    assert settings["wsgi_app"] == "wsgi:app"


def _expand(command: str, env: dict) -> list[str]:
    """A shell/Make command line with ``$VAR``, ``${VAR:-default}`` (and Make's ``$$``) expanded."""
    command = command.replace("$$", "$")

    def sub(match: re.Match) -> str:
        name, default = match["name"] or match["bare"], match["default"]
        return env.get(name) or (default or "").removesuffix("}") if default is not None else env.get(name, "")

    command = re.sub(r"\$\{(?P<name>\w+)(?::[-?](?P<default>[^}]*))?\}|\$(?P<bare>\w+)", sub, command)
    return shlex.split(command.replace("\\\n", " "))


def _worker_queues(command: str, env: dict) -> set[str]:
    args = _expand(command, env)
    args = args[args.index("worker") + 1:]
    queues, skip = set(), False
    for arg in args:
        if skip:
            skip = False
        elif arg in {"-w", "--worker-class", "--url", "-u", "--name", "-n"}:
            skip = True
        elif not arg.startswith("-"):
            queues.add(arg.strip("'\""))
    return queues


def _worker_commands() -> dict[str, str]:
    procfile = next(line.split(":", 1)[1] for line in (ROOT / "deploy" / "Procfile").read_text().splitlines()
                    if line.startswith("worker:"))
    unit = (ROOT / "deploy" / "systemd" / "hsyjs-worker@.service").read_text()
    unit_command = re.search(r"ExecStart=/bin/sh -c '(.*?)'", unit.replace("\\\n", " "), re.S)[1]
    makefile = (ROOT / "Makefile").read_text()
    make_command = re.search(r"^worker:.*\n\t(.*)$", makefile, re.M)[1]
    return {"Procfile": procfile, "systemd": unit_command, "Makefile": make_command}


@pytest.mark.parametrize("queue", [None, "hsyjs-province-a"])
def test_workers_listen_on_every_queue_the_code_uses(queue):
    from app.config import load_config
    from rq import cron

    env = {**ops_env(Path("/nonexistent")), **({"RQ_QUEUE": queue} if queue else {})}
    config = load_config(env)
    used = {config["RQ_QUEUE"]}  # app.tasks.RQRunner enqueues here
    saved_environ, saved_registry = dict(os.environ), list(cron._job_data_registry)
    try:
        os.environ.update(env)
        cron._job_data_registry.clear()
        runpy.run_path(str(ROOT / "jobs" / "cron.py"))
        used |= {job["queue_name"] for job in cron._job_data_registry}
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        cron._job_data_registry[:] = saved_registry
    for where, command in _worker_commands().items():
        assert used <= _worker_queues(command, env), f"{where}: workers miss a queue the code uses"


def test_a_sigterm_d_worker_finishes_the_job_it_is_running(tmp_path):
    if os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: Redis skipped on this developer machine")
    from redis import Redis
    from rq import Queue
    from rq.job import JobStatus

    queue_name = f"hsyjs-ops-term-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(REDIS_TEST_URL)
    env = {**os.environ, **ops_env(tmp_path), "REDIS_URL": REDIS_TEST_URL, "RQ_QUEUE": queue_name,
           "PYTHONPATH": str(ROOT)}
    rq = Path(sys.executable).parent / "rq"
    worker = subprocess.Popen([str(rq), "worker", "-w", "jobs.worker.AppWorker", "--url", REDIS_TEST_URL, queue_name],
                              cwd=ROOT, env=env, stdout=open(tmp_path / "worker.log", "ab"), stderr=subprocess.STDOUT)
    try:
        job = Queue(queue_name, connection=redis).enqueue("time.sleep", 1.5)
        deadline = time.monotonic() + 30
        while job.get_status(refresh=True) != JobStatus.STARTED:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)  # what systemd (KillMode=mixed) or a deploy sends
        assert worker.wait(timeout=30) == 0
        assert job.get_status(refresh=True) == JobStatus.FINISHED
    finally:
        if worker.poll() is None:
            worker.kill()
        for key in redis.scan_iter(f"*{queue_name}*"):
            redis.delete(key)
