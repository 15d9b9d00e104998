"""Processes — issue 10 §1: the gunicorn settings; named queues (dispatch, notifications,
maintenance) with every job on one of them and workers listening on every queue the code uses; a
job of each queue run by real workers; a SIGTERM'd RQ worker finishing the job it runs."""
from __future__ import annotations

import ast
import importlib
import os
import pkgutil
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
import requests

from tests.conftest import REDIS_TEST_URL, ROOT, worker_command
from tests.ops.metrics_parse import samples
from tests.ops.support import make_app, ops_env


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


_ARENA_PROBE = """
import re, sys, threading, runpy
if sys.argv[1] == "capped":
    runpy.run_path("gunicorn.conf.py")
def work():
    kept = [bytearray(100_000) for _ in range(20)]  # above obmalloc's 512 bytes: malloc's own
    ready.wait()
ready = threading.Event()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
import time; time.sleep(0.5)
# glibc's arenas other than the main one are anonymous mappings aligned to HEAP_MAX_SIZE (64 MiB)
starts = [int(line.split("-")[0], 16) for line in open("/proc/self/maps") if len(line.split()) == 5]
print(sum(1 for start in starts if start % (64 << 20) == 0))
ready.set()
for t in threads: t.join()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or __import__("platform").libc_ver()[0] != "glibc",
                    reason="malloc arenas are glibc's")
def test_gunicorn_caps_the_malloc_arenas_its_threads_make(tmp_path):
    """8 threads each get a malloc arena of their own by default, and each keeps what it freed
    (about 8 MiB a worker under load); gunicorn.conf.py caps them at 2, the main one included."""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path), PYTHONPATH=str(ROOT))

    def arenas(mode):
        done = subprocess.run([sys.executable, "-c", _ARENA_PROBE, mode], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        return int(done.stdout.split()[-1])

    assert arenas("default") >= 4  # the probe does make arenas without the cap
    assert arenas("capped") <= 1  # besides the main arena (the heap), at most one


def test_every_way_of_serving_the_api_leaves_the_libraries_docstrings_out():
    """The memory figures of docs/BENCHMARKS.md are for an API served with ``PYTHONOPTIMIZE=2``
    (about 6.5 MiB a process): the Makefile, both deploy files, the bench and the live gunicorn
    test all serve it so; and the Makefile compiles that bytecode at install."""
    makefile = (ROOT / "Makefile").read_text()
    serve_prod = re.search(r"^serve-prod:.*\n((?:\t.*\n)+)", makefile, re.M)[1]
    unit = (ROOT / "deploy" / "systemd" / "hsyjs-api.service").read_text()
    served = {
        "make serve-prod": serve_prod,
        "Procfile web": re.search(r"^web:(.*)$", (ROOT / "deploy" / "Procfile").read_text(), re.M)[1],
        "hsyjs-api.service": "\n".join(re.findall(r"^Environment=(.*)$", unit, re.M)),
        "bench api": re.search(r'stack\.start\("api".*', (ROOT / "bench" / "run.py").read_text())[0],
        "test_scaling": (ROOT / "tests" / "ops" / "test_scaling.py").read_text(),
    }
    assert [where for where, text in served.items() if not re.search(r"PYTHONOPTIMIZE\W+2", text)] == []
    install = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M)[1]
    assert "-OO -m compileall" in install


def _services_or_skip():
    if os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: Redis skipped on this developer machine")


def _job_functions() -> dict[str, object]:
    """Every job function of the ``jobs`` package (``@job``), by dotted path."""
    import jobs

    found = {}
    for module_info in pkgutil.iter_modules(jobs.__path__):
        if module_info.name == "cron":  # rq cron's configuration; its jobs live elsewhere
            continue
        module = importlib.import_module(f"jobs.{module_info.name}")
        for name, obj in vars(module).items():
            if getattr(obj, "is_job", False) and obj.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def _job_paths_named_in_code() -> set[str]:
    """Every string naming a job (``"jobs.<module>.<function>"``) in ``app/`` — what gets queued."""
    named = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.fullmatch(r"jobs\.\w+\.\w+", node.value):
                named.add(node.value)
    return named


def test_every_job_is_on_exactly_one_queue_and_an_unmapped_job_cannot_be_queued(tmp_path):
    from app.config import QUEUES
    from app.tasks import JOB_QUEUES, enqueue, queue_of

    functions = _job_functions()
    assert len(functions) >= 8  # the introspection found the jobs at all
    assert set(functions) == set(JOB_QUEUES), "each job function has a queue, each mapping a job"
    assert set(JOB_QUEUES.values()) <= set(QUEUES)
    named = _job_paths_named_in_code()
    assert {"jobs.matters.dispatch_matter", "jobs.notify.deliver"} <= named
    assert named <= set(JOB_QUEUES), "code queues a job that has no queue"
    assert {queue_of(job) for job in named} == set(QUEUES), "a queue nothing uses, or one missing"

    with pytest.raises(ValueError, match="JOB_QUEUES"):
        queue_of("jobs.runtime.warm_app")
    app = make_app(ops_env(tmp_path), migrate=False)  # the embedded runner refuses it too
    with app.app_context(), pytest.raises(ValueError, match="JOB_QUEUES"):
        enqueue("jobs.runtime.warm_app", app=app)


def _cron_registrations(env: dict) -> list[dict]:
    from rq import cron

    saved_environ, saved_registry = dict(os.environ), list(cron._job_data_registry)
    try:
        os.environ.update(env)
        cron._job_data_registry.clear()
        runpy.run_path(str(ROOT / "jobs" / "cron.py"))
        return list(cron._job_data_registry)
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        cron._job_data_registry[:] = saved_registry


def _listened(command: list[str], config: dict) -> list[str]:
    """The RQ queues a ``python -m jobs.worker …`` command line listens on, built by the function
    the worker itself uses (``jobs.worker.rq_args``)."""
    from jobs.worker import parse_args, rq_args

    at = command.index("-m")
    assert command[at + 1] == "jobs.worker", f"not the worker entry point: {command}"
    args = parse_args(command[at + 2:])
    rq = rq_args(config, args.queues, name=args.name, burst=args.burst)
    queues, skip = [], False
    for arg in rq[1:]:
        if skip:
            skip = False
        elif arg in {"-w", "--url", "--name"}:
            skip = True
        elif not arg.startswith("-"):
            queues.append(arg)
    return queues


def _expand(command: str, env: dict) -> list[str]:
    """A shell/Make command line with ``$(BIN)/``, ``$VAR`` and ``${VAR:-default}`` expanded."""
    command = command.replace("$(BIN)/", "").replace("$$", "$")
    command = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)",
                     lambda m: env.get(m[1] or m[3]) or (m[2] or ""), command)
    return shlex.split(command.replace("\\\n", " "))


def _unit_command(unit: str, instance: str) -> list[str]:
    text = (ROOT / "deploy" / "systemd" / unit).read_text().replace("\\\n", " ")
    command = re.search(r"^ExecStart=(.*)$", text, re.M)[1]
    return shlex.split(command.replace("%H", "host").replace("%i", instance))


def _all_queue_workers(env: dict) -> dict[str, list[str]]:
    """Where an every-queue worker is started: name → command line."""
    procfile = (ROOT / "deploy" / "Procfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    return {
        "Procfile worker": _expand(re.search(r"^worker:(.*)$", procfile, re.M)[1], env),
        "make worker": _expand(re.search(r"^worker:.*\n\t(.*)$", makefile, re.M)[1], env),
        "hsyjs-worker@.service": _unit_command("hsyjs-worker@.service", "1"),
        "tests.conftest.worker_command": worker_command("w"),
    }


@pytest.mark.parametrize("prefix", [None, "hsyjs-province-a"])
def test_workers_listen_on_every_queue_the_code_uses(prefix):
    from app.config import QUEUES, load_config
    from app.tasks import JOB_QUEUES, queue_name, queue_of

    env = {**ops_env(Path("/nonexistent")), "REDIS_URL": "redis://127.0.0.1:1/0",
           **({"RQ_QUEUE": prefix} if prefix else {})}
    config = load_config(env)
    # What app.tasks.RQRunner sends to: the queue of every job, under this prefix ...
    used = {queue_name(config["RQ_QUEUE"], queue) for queue in JOB_QUEUES.values()}
    # ... and what rq cron sends to: each periodic job on its own job's queue.
    registrations = _cron_registrations(env)
    assert {data["func"].__name__ for data in registrations} == {"reconcile", "sweep", "sla_scan", "purge"}
    for data in registrations:
        job = f"{data['func'].__module__}.{data['func'].__name__}"
        assert data["queue_name"] == queue_name(config["RQ_QUEUE"], queue_of(job)), job
    used |= {data["queue_name"] for data in registrations}
    assert used == {queue_name(config["RQ_QUEUE"], queue) for queue in QUEUES}

    for where, command in _all_queue_workers(env).items():
        listened = _listened(command, config)
        assert used <= set(listened), f"{where}: workers miss a queue the code uses"
        assert listened == [queue_name(config["RQ_QUEUE"], q) for q in ("dispatch", "notifications", "maintenance")]

    # One worker per queue: the systemd template and the Procfile's per-queue lines.
    per_unit = {queue: _listened(_unit_command("hsyjs-queue-worker@.service", queue), config) for queue in QUEUES}
    assert per_unit == {queue: [queue_name(config["RQ_QUEUE"], queue)] for queue in QUEUES}
    per_line = re.findall(r"^#\s+worker-(\w+):(.*)$", (ROOT / "deploy" / "Procfile").read_text(), re.M)
    assert {queue: _listened(_expand(line, env), config) for queue, line in per_line} == per_unit


def test_rq_queues_narrows_a_worker_and_unknown_queues_are_refused():
    from app.config import load_config

    env = {**ops_env(Path("/nonexistent")), "REDIS_URL": "redis://127.0.0.1:1/0", "RQ_QUEUE": "p"}
    narrowed = load_config({**env, "RQ_QUEUES": "notifications, dispatch"})
    assert _listened(worker_command("w"), narrowed) == ["p-notifications", "p-dispatch"]
    assert _listened(worker_command("w", ["maintenance"]), narrowed) == ["p-maintenance"]  # arguments win
    with pytest.raises(RuntimeError, match="RQ_QUEUES"):
        load_config({**env, "RQ_QUEUES": "dispatch,urgent"})
    with pytest.raises(ValueError, match="unknown queue"):
        _listened(worker_command("w", ["urgent"]), narrowed)
    with pytest.raises(ValueError, match="REDIS_URL"):
        _listened(worker_command("w"), load_config({**env, "REDIS_URL": ""}))
    # The entry point itself says what is wrong, before it connects to anything.
    done = subprocess.run(worker_command("w", ["urgent"]), cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "unknown queue 'urgent'" in done.stderr


def test_a_job_of_each_queue_runs_under_the_started_workers(postgres_stack):
    """Real ``python -m jobs.worker`` processes (the stack's two) run a job sent to each queue,
    and /readyz and /metrics report each queue."""
    from app.config import QUEUES
    from app.tasks import enqueue, queue_name, queue_of

    app = postgres_stack.app
    probes = {  # harmless: nothing to dispatch, nothing to deliver, nothing stuck long enough
        "dispatch": ("jobs.matters.dispatch_matter", "no-such-matter"),
        "notifications": ("jobs.notify.deliver", 2_000_000_000),
        "maintenance": ("jobs.maintenance.reconcile",),
    }
    assert set(probes) == set(QUEUES)
    stats = app.extensions["hsyjs_job_stats"]

    def ran(queue: str) -> float:
        job = probes[queue][0]
        return stats.snapshot().counts.get((queue_name(app.config["RQ_QUEUE"], queue), job, "succeeded"), 0.0)

    before = {queue: ran(queue) for queue in QUEUES}
    with app.app_context():
        for queue, (job, *ids) in probes.items():
            assert queue_of(job) == queue
            enqueue(job, *ids, app=app)
    deadline = time.monotonic() + 120
    while any(ran(queue) <= before[queue] for queue in QUEUES):
        assert time.monotonic() < deadline, {queue: ran(queue) for queue in QUEUES}
        time.sleep(0.1)

    names = {queue: queue_name(app.config["RQ_QUEUE"], queue) for queue in QUEUES}
    checks = requests.get(f"{postgres_stack.base_url}/readyz", timeout=10).json()["checks"]["queue"]
    assert checks["ok"] and checks["runner"] == "rq"
    assert {q: one["queue"] for q, one in checks["queues"].items()} == names
    for state in ("queued", "started", "failed"):
        assert checks["jobs"][state] == sum(one["jobs"][state] for one in checks["queues"].values())
    got = samples(requests.get(f"{postgres_stack.base_url}/metrics", timeout=10).text)
    for name in names.values():
        assert ("hsyjs_queue_oldest_job_age_seconds", (("queue", name),)) in got
        assert ("hsyjs_queue_jobs", (("queue", name), ("state", "queued"))) in got


def _start_worker(name: str, env: dict, tmp_path) -> subprocess.Popen:
    """A worker in its own process group, logging to ``tmp_path/worker.log``."""
    return subprocess.Popen(worker_command(name), cwd=ROOT, env=env, start_new_session=True,
                            stdout=open(tmp_path / "worker.log", "ab"), stderr=subprocess.STDOUT)


def _end_worker(worker: subprocess.Popen) -> None:
    """Kill the worker's whole process group: a SIGKILLed worker leaves its scheduler child running."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=30)


def test_a_sigterm_d_worker_finishes_the_job_it_is_running(tmp_path):
    _services_or_skip()
    from redis import Redis
    from rq import Queue
    from rq.job import JobStatus

    prefix = f"hsyjs-ops-term-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(REDIS_TEST_URL)
    env = {**os.environ, **ops_env(tmp_path), "REDIS_URL": REDIS_TEST_URL, "RQ_QUEUE": prefix,
           "PYTHONPATH": str(ROOT)}
    worker = _start_worker(f"term-{os.getpid()}", env, tmp_path)
    try:
        job = Queue(f"{prefix}-maintenance", connection=redis).enqueue("time.sleep", 1.5)
        deadline = time.monotonic() + 120  # a worker starts in ~2 s, but ten times that on a busy 2-core CI box
        while job.get_status(refresh=True) != JobStatus.STARTED:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)  # what systemd (KillMode=mixed) or a deploy sends
        assert worker.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()[-2000:]
        assert job.get_status(refresh=True) == JobStatus.FINISHED
    finally:
        _end_worker(worker)
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)


def test_a_job_lost_with_a_sigkilled_worker_is_sent_again_once_its_timeout_has_passed(tmp_path):
    """Jobs run inside the worker (jobs.worker.AppWorker, no fork): SIGKILL ends the job with it.
    Its "started" entry expires after the job's timeout and AppWorker's margin; housekeeping
    then marks it abandoned and the send-once check sends the work again."""
    _services_or_skip()
    from redis import Redis
    from rq import Queue
    from rq.job import Job, JobStatus

    from jobs.worker import AppWorker
    from tests.ops.support import make_app

    prefix = f"hsyjs-ops-kill-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(REDIS_TEST_URL)
    app = make_app(ops_env(tmp_path, REDIS_URL=REDIS_TEST_URL, RQ_QUEUE=prefix), migrate=False)
    runner = app.extensions["hsyjs_runner"]
    env = {**os.environ, **ops_env(tmp_path), "REDIS_URL": REDIS_TEST_URL, "RQ_QUEUE": prefix,
           "PYTHONPATH": str(ROOT)}
    worker = _start_worker(f"kill-{os.getpid()}", env, tmp_path)
    job_id = "once_jobs_sandbox_work_matter_999999"  # what submit_once names this job
    try:
        stand_in = Queue(f"{prefix}-dispatch", connection=redis).enqueue("time.sleep", 60, job_id=job_id,
                                                                          job_timeout=2)
        deadline = time.monotonic() + 120
        while stand_in.get_status(refresh=True) != JobStatus.STARTED:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        with app.app_context():
            runner.housekeeping()
            assert runner.submit_once("jobs.sandbox.work_matter", (999999,)) is False  # still within its time
            time.sleep(2 + AppWorker.ABANDON_MARGIN_SECONDS + 1)
            runner.housekeeping()
            assert Job.fetch(job_id, connection=redis).get_status(refresh=True) == JobStatus.FAILED
            assert runner.submit_once("jobs.sandbox.work_matter", (999999,)) is True
        resent = Job.fetch(job_id, connection=redis)
        assert resent.func_name == "jobs.sandbox.work_matter" and resent.get_status(refresh=True) == JobStatus.QUEUED
        assert resent.timeout == app.config["DEPARTMENT_TIMEOUT_SECONDS"] * 2 + 20
    finally:
        _end_worker(worker)
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)
        redis.delete(f"rq:job:{job_id}")
