"""``make bench``: the production shape on this machine, driven by wrk beside a bare Flask app.

Starts gunicorn (2 gthread workers × 8 threads, ``gunicorn.conf.py``) for the API on a fresh
PostgreSQL database ``hsyjs_bench`` (dropped at the end), 2 ``rq worker --with-scheduler`` on
Redis db 14 with queue prefix ``hsyjs_bench`` (rate-limit keys under the same prefix), the sandbox
departments with zero latency and the rate limits raised; and the bare Flask app of
``bench/bare_app.py`` on the same gunicorn settings. Every listener is on 127.0.0.1.
Raw wrk output, EXPLAIN ANALYZE plans and ``summary.json`` go to ``docs/bench-results/<stamp>/``.

Knobs (environment): ``BENCH_DURATION`` seconds per wrk run (15), ``BENCH_CONNECTIONS`` (16),
``BENCH_E2E_CASES`` (30), ``BENCH_SEED_SMALL`` (1000), ``BENCH_SEED_LARGE`` (1000000),
``BENCH_SEED_SECONDS`` (1300: the large seed stops there and the report says what it reached),
``TEST_PG_ADMIN_URL`` (postgresql://postgres@127.0.0.1:5432/test), ``BENCH_REDIS_URL``,
``BENCH_PROFILE`` (scenario names, comma-separated, or ``all``: py-spy samples the API workers
while wrk drives them and ``<scenario>.profile.txt`` lists the hottest functions — the figures of
a profiled scenario are lower than unprofiled ones, so never report them as results).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import requests
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.standards.gb11643 import make_id_number  # noqa: E402
from tests.factories import worked_example_form  # noqa: E402
from tests.helpers import HUKOU_MATERIALS, Api, all_final  # noqa: E402

BIN = ROOT / ".venv" / "bin"
LUA = Path(__file__).resolve().parent / "lua"
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
DB_NAME = "hsyjs_bench"
DB_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
QUEUE = "hsyjs_bench"
APP_PORT, BARE_PORT = 18600, 18601
APP, BARE = f"http://127.0.0.1:{APP_PORT}", f"http://127.0.0.1:{BARE_PORT}"
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WRK_THREADS = 2
E2E_CASES = int(os.environ.get("BENCH_E2E_CASES", "30"))
SEED_SMALL = int(os.environ.get("BENCH_SEED_SMALL", "1000"))
SEED_LARGE = int(os.environ.get("BENCH_SEED_LARGE", "1000000"))
SEED_SECONDS = float(os.environ.get("BENCH_SEED_SECONDS", "1300"))
#: Scenarios to sample with py-spy while wrk drives them (comma-separated names, or "all").
#: Parts to run after the hot read (``requests``, ``intake``, ``end_to_end``, ``large``; empty:
#: all), for trying a change; a full run is the only one whose results are reported.
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
PROFILE = {name for name in os.environ.get("BENCH_PROFILE", "").split(",") if name}
OUT = Path(os.environ.get("BENCH_OUT") or ROOT / "docs" / "bench-results" / datetime.now().strftime("%Y%m%d-%H%M%S"))


def bench_env() -> dict:
    """The app's settings for the bench, as tests/conftest.py sets them for the live stacks."""
    from app.config import DEPARTMENTS, RATE_LIMIT_DEFAULTS

    from tests.conftest import TEST_SECRETS

    return {
        **os.environ, "PYTHONPATH": str(ROOT), "FLASK_APP": "wsgi",
        "DATABASE_URL": DB_URL, "REDIS_URL": REDIS_URL, "RQ_QUEUE": QUEUE,
        "PUBLIC_BASE_URL": APP, "SANDBOX": "1", "SANDBOX_DEPARTMENT_LATENCY_SECONDS": "0",
        **{k: v for k, v in TEST_SECRETS.items() if k != "DEPARTMENT_CALLBACK_SECRETS"},
        "DEPARTMENT_CALLBACK_SECRETS": json.dumps({d: [f"bench-callback-secret-{d}-0123456789abcdef"]
                                                   for d in DEPARTMENTS}),
        **{name: "10000000/minute" for name in RATE_LIMIT_DEFAULTS}, "RATELIMIT_KEY_PREFIX": QUEUE,
        "ACCESS_TOKEN_SECONDS": "7200",  # one token lasts the whole run
        "UPLOAD_DIR": str(OUT / "uploads"),
        "BIND": f"127.0.0.1:{APP_PORT}", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "8",
        "PROMETHEUS_MULTIPROC_DIR": "",
    }


# --- processes --------------------------------------------------------------------------------
class Stack:
    def __init__(self, env: dict):
        self.env, self.procs = env, {}

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(OUT / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """Peak RSS (MiB) per role, sampled every 0.2 s: API workers, rq workers, their scheduler children
    (:meth:`mib` with the kernel's high-water mark, :meth:`sampled_mib` without)."""

    def __init__(self, stack: Stack):
        super().__init__(daemon=True)
        self.stack, self.peak, self.stopped = stack, {}, threading.Event()
        self.now_peak: dict[str, int] = {}
        self.parts: dict[str, dict[str, int]] = {}
        self.under_load: dict[str, int] | None = None  # from mark_load() on

    def _note(self, role: str, pid: int) -> None:
        now = rss_kib(pid)
        if self.under_load is not None:
            self.under_load[role] = max(self.under_load.get(role, 0), now)
        if now > self.now_peak.get(role, 0):  # what the largest resident set was made of
            self.now_peak[role] = now
            self.parts[role] = {f: rss_kib(pid, f) for f in ("RssAnon", "RssFile", "RssShmem")}
        self.peak[role] = max(self.peak.get(role, 0), now, rss_kib(pid, "VmHWM"))

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            for pid in children(self.stack.procs["api"].pid):
                self._note("api_worker", pid)
            self._note("api_master", self.stack.procs["api"].pid)
            for pid in children(self.stack.procs["bare"].pid):
                self._note("bare_worker", pid)
            for name in ("worker1", "worker2"):
                pid = self.stack.procs[name].pid
                self._note("rq_worker", pid)
                for child in children(pid):  # RQ's scheduler (jobs run in the worker itself)
                    self._note("rq_scheduler", child)

    def mib(self) -> dict:
        """Per role, the high-water mark: the largest of VmRSS and VmHWM seen (MiB); it keeps a
        spike shorter than a sample, such as a staff login's 32 MiB scrypt check."""
        return {role: round(kib / 1024, 1) for role, kib in sorted(self.peak.items())}

    def sampled_mib(self) -> dict:
        """Per role, the largest VmRSS seen at a sample (MiB). A sample can land inside a spike."""
        return {role: round(kib / 1024, 1) for role, kib in sorted(self.now_peak.items())}

    def mark_load(self) -> None:
        """From now on also keep the largest VmRSS apart (:meth:`under_load_mib`): called after
        the set-up, whose one staff login holds 32 MiB for ~0.1 s (scrypt), before the first load."""
        self.under_load = {}

    def under_load_mib(self) -> dict:
        return {role: round(kib / 1024, 1) for role, kib in sorted((self.under_load or {}).items())}

    def composition_mib(self) -> dict:
        """At each role's largest sampled VmRSS: anonymous, file-backed and shared memory (MiB)."""
        return {role: {k: round(v / 1024, 1) for k, v in parts.items()} for role, parts in sorted(self.parts.items())}


# --- wrk --------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) so far."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def serving_workers(url: str) -> list[int]:
    """The gunicorn worker processes behind ``url`` (the API's or the bare app's)."""
    proc = _STACK.procs.get("bare" if url.startswith(BARE) else "api") if _STACK else None
    return children(proc.pid) if proc else []


#: A run in which one gunicorn worker did more than this share of the work is run again (below).
MAX_WORKER_SHARE = 0.8
#: Runs of a read-only scenario before its result is taken as it is.
ATTEMPTS = 3
#: Scenarios safe to run again: they change nothing (the intake's bodies would be filed twice).
READ_ONLY_SCRIPTS = {"get.lua", "post_json.lua"}


def wrk(name: str, url: str, script: str, env: dict | None = None, *, connections: int = CONNECTIONS,
        duration: int = DURATION) -> dict:
    """One wrk run of ``script`` against ``url``. wrk opens all its connections at once and keeps
    them: now and then one gunicorn worker accepts (nearly) all of them and the other idles, which
    halves a run's throughput by chance (seen for both the API and the bare app). A read-only run
    in which one worker did more than :data:`MAX_WORKER_SHARE` of the CPU work is run again, up to
    :data:`ATTEMPTS` times; the result says each worker's share and the attempts."""
    attempts = ATTEMPTS if script in READ_ONLY_SCRIPTS else 1
    for attempt in range(1, attempts + 1):
        workers = serving_workers(url)
        before = {pid: cpu_seconds(pid) for pid in workers}
        result = _wrk_once(name, url, script, env, connections=connections, duration=duration)
        used = {pid: cpu_seconds(pid) - before[pid] for pid in workers}
        total = sum(used.values())
        shares = sorted((round(v / total, 2) for v in used.values()), reverse=True) if total else []
        result.update(worker_cpu_share=shares, attempt=attempt)
        if not shares or shares[0] <= MAX_WORKER_SHARE or attempt == attempts:
            return result
        print(f"  {name}: one worker did {shares[0]:.0%} of the work (connections not spread): run again",
              flush=True)
        (OUT / f"{name}.wrk.txt").rename(OUT / f"{name}.unspread-{attempt}.wrk.txt")  # kept, not reported
    return result


def _wrk_once(name: str, url: str, script: str, env: dict | None, *, connections: int, duration: int) -> dict:
    full = OUT / f"{name}.lua"
    full.write_text((LUA / script).read_text() + (LUA / "report.lua").read_text())
    argv = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
            "--latency", "-s", str(full), url]
    spies = start_profilers(name, duration) if name in PROFILE or "all" in PROFILE else []
    run = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "BENCH_THREADS": str(WRK_THREADS),
                                                                    **(env or {})}, timeout=duration + 60)
    finish_profilers(name, spies)
    full.unlink()  # only bench/lua/<script> + report.lua joined: the command line below names them
    raw = f"$ {' '.join(argv)}  # {full.name} = bench/lua/{script} + bench/lua/report.lua\n{run.stdout}{run.stderr}"
    (OUT / f"{name}.wrk.txt").write_text(raw)
    line = next(l for l in run.stdout.splitlines() if l.startswith("BENCH_JSON "))
    r = json.loads(line[len("BENCH_JSON "):])
    result = {"scenario": name, "url": url, "connections": connections, "seconds": round(r["duration_us"] / 1e6, 2),
              "requests": r["requests"], "rps": round(r["requests"] / (r["duration_us"] / 1e6), 1),
              "p50_ms": r["p50_us"] / 1000, "p95_ms": r["p95_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
              "max_ms": r["max_us"] / 1000, "non_2xx_3xx": r["non_2xx_3xx"],
              "socket_errors": r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]}
    print(f"  {name:28s} {result['rps']:9.1f} req/s  p50 {result['p50_ms']:7.2f}  p95 {result['p95_ms']:7.2f}  "
          f"p99 {result['p99_ms']:7.2f} ms  non-2xx {result['non_2xx_3xx']}", flush=True)
    return result


def paced_wrk(name: str, url: str, script: str, env: dict, target_rps: float, connections: int = 8) -> dict:
    """:func:`wrk` at about ``target_rps``: each connection pauses between requests. The pause is
    calibrated by three 3-second trials (what a request takes besides the pause shrinks as the
    load falls), then the scenario runs; its result says the rate reached and the target."""
    delay = connections / target_rps * 1000 if target_rps else 0.0
    for _ in range(3):
        trial = wrk("pacing_trial", url, script, {**env, "BENCH_DELAY_MS": str(int(delay))},
                    connections=connections, duration=3)
        busy = max(0.0, connections / trial["rps"] * 1000 - delay) if trial["rps"] else 0.0
        delay = max(0.0, connections / target_rps * 1000 - busy)
    (OUT / "pacing_trial.wrk.txt").unlink(missing_ok=True)
    result = wrk(name, url, script, {**env, "BENCH_DELAY_MS": str(round(delay))}, connections=connections)
    return {**result, "target_rps": round(target_rps, 1), "pause_ms": round(delay)}


# --- profiling ---------------------------------------------------------------------------------
_STACK: "Stack | None" = None


def start_profilers(name: str, duration: int) -> list[tuple[int, subprocess.Popen, Path]]:
    """``py-spy record`` (100 Hz, folded stacks, idle threads left out) on every API worker
    while ``name`` runs; out: (pid, process, output file) for :func:`finish_profilers`."""
    spies = []
    for pid in children(_STACK.procs["api"].pid):
        out = OUT / f"{name}.pyspy-{pid}.folded"
        spies.append((pid, subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(pid), "--rate", "100",
                                             "--duration", str(duration), "--format", "raw", "--output", str(out),
                                             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                      out))
    return spies


def finish_profilers(name: str, spies: list) -> None:
    """Wait for the samplers; write ``<name>.profile.txt``: the functions (own code first) that
    were on the stack in the largest share of busy samples, and the hottest leaf frames."""
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    total = 0
    for _pid, proc, out in spies:
        proc.wait(timeout=120)
        if not out.exists():
            continue
        # One stack a line, by "\n" only: str.splitlines() also breaks at characters such as
        # U+0085 that a frame's text may hold.
        for line in out.read_text(errors="replace").split("\n"):
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames, n = stack.split(";"), int(count)
            total += n
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + n
            leaf[frames[-1]] = leaf.get(frames[-1], 0) + n
    if not total:
        return
    lines = [f"{name}: {total} busy samples over {len(spies)} API workers", "", "inclusive (share of samples):"]
    lines += [f"{n / total:6.1%}  {frame}" for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:80]]
    lines += ["", "leaf (self time):"]
    lines += [f"{n / total:6.1%}  {frame}" for frame, n in sorted(leaf.items(), key=lambda kv: -kv[1])[:40]]
    (OUT / f"{name}.profile.txt").write_text("\n".join(lines) + "\n")
    print(f"  profile: {OUT / f'{name}.profile.txt'}", flush=True)


# --- data -------------------------------------------------------------------------------------
def deceased_id(n: int) -> str:
    """The ``n``-th distinct fictional deceased (Changsha 430104, born 1948-02-01 + 0..329 days,
    so 77 on 2026-01-30 as the worked example says; odd sequence digit = male)."""
    birth = date(1948, 2, 1) + timedelta(days=(n // 500) % 330)
    return make_id_number("430104", birth, f"{(n % 500) * 2 + 1:03d}")


def intake_body(n: int) -> dict:
    return {**worked_example_form(deceased__id_number=deceased_id(n)), "materials_received": HUKOU_MATERIALS}


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def wait_queue_empty(timeout: float = 1800) -> float:
    """Wait until every bench queue (dispatch, notifications, maintenance) has nothing queued
    or running; out: seconds waited. Raises ``TimeoutError`` after ``timeout`` seconds: what
    runs next (end to end) must not queue behind the intake's backlog."""
    from rq import Queue

    from app.config import QUEUES
    from app.tasks import queue_name

    redis = Redis.from_url(REDIS_URL)
    queues = [Queue(queue_name(QUEUE, q), connection=redis) for q in QUEUES]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(q.count == 0 and q.started_job_registry.count == 0 for q in queues):
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"the bench queues still held work after {timeout:.0f} s")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[k], 1)


def end_to_end(clerk: Api, first: int) -> dict:
    """Submit ``E2E_CASES`` cases one after another; poll each until every matter ready at submit
    is dispatched (``dispatch_state`` sent or later) and until the whole case is final."""
    dispatched, finished = [], []
    for i in range(E2E_CASES):
        t0 = time.monotonic()
        case = clerk.post("/api/v1/cases", json=intake_body(first + i), expect=201).json()
        ready = {m["id"] for m in case["matters"] if m["dispatch_state"] != "idle"}
        t_dispatched = None
        while time.monotonic() - t0 < 120:
            now = clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json()
            elapsed = time.monotonic() - t0
            if t_dispatched is None and all(m["dispatch_state"] == "sent" or m["status"] != "waiting"
                                            for m in now["matters"] if m["id"] in ready):
                t_dispatched = elapsed
            if all_final(now):
                dispatched.append(t_dispatched * 1000)
                finished.append(elapsed * 1000)
                break
            time.sleep(0.01)
        else:
            raise RuntimeError(f"case {case['id']} not finished in 120 s")
    return {"cases": E2E_CASES, "ready_matters_dispatched_ms": {"p50": pct(dispatched, 50), "p95": pct(dispatched, 95),
                                                                "max": round(max(dispatched), 1)},
            "case_finished_ms": {"p50": pct(finished, 50), "p95": pct(finished, 95), "max": round(max(finished), 1)}}


def explain_case_read(case_id: str, user_id: str, label: str) -> None:
    """EXPLAIN ANALYZE of the queries ``GET /api/v1/cases/{id}`` runs for a family member."""
    queries = [
        ("case by primary key (db.session.get)", "SELECT * FROM cases WHERE id = %s", (case_id,)),
        ("membership check (can_read)", "SELECT * FROM case_members WHERE case_id = %s AND user_id = %s "
                                        "AND status = 'active'", (case_id, user_id)),
        ("matters of the case (Case.matters)", "SELECT * FROM matters WHERE case_id = %s ORDER BY position",
         (case_id,)),
    ]
    lines = []
    with psycopg.connect(DB_URL) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("cases", "matters", "events")}
        lines.append(f"rows: {counts}")
        for title, sql, params in queries:
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
            lines += ["", f"-- {title}", sql] + [r[0] for r in plan]
    (OUT / f"explain-{label}.txt").write_text("\n".join(lines) + "\n")


def seed(count: int, env: dict, label: str, max_seconds: float) -> dict:
    run = subprocess.run([str(BIN / "python"), "-m", "bench.seed", "--count", str(count), "--max-seconds",
                          str(max_seconds)], cwd=ROOT, env=env, capture_output=True, text=True)
    (OUT / f"seed-{label}.txt").write_text(run.stdout + run.stderr)
    if run.returncode:
        raise RuntimeError(f"seed failed: {run.stderr[-2000:]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"  seed {label}: {result}", flush=True)
    return result


def trim_log(path: Path, ends: int = 200) -> None:
    """Keep of a process log every line that is not INFO (warnings, errors, tracebacks), the
    first and last ``ends`` lines, and a count of the INFO lines left out (one a request or a
    job: a full run writes hundreds of thousands)."""
    lines = path.read_text(errors="replace").split("\n")
    kept = [line for i, line in enumerate(lines)
            if i < ends or i >= len(lines) - ends or " INFO " not in line[:40]]
    if len(kept) < len(lines):
        kept.insert(ends, f"[bench] {len(lines) - len(kept)} INFO lines left out (bench.run.trim_log)")
    path.write_text("\n".join(kept))


def settle_database(max_wait: float = 600) -> float:
    """After the large seed: ``VACUUM (ANALYZE)``, a ``CHECKPOINT``, a wait (up to ``max_wait`` s
    in all) until no autovacuum worker runs, then ``sync`` and a wait until the CPUs are 90 % idle,
    so the reads at 1 M rows are measured on a machine at rest, as the reads at 1 k were, not
    beside the clean-up and write-back of 13 M new rows.
    Out: seconds taken."""
    started = time.monotonic()
    print("settling the database (VACUUM ANALYZE, CHECKPOINT)", flush=True)
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
        while time.monotonic() - started < max_wait:
            busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                                ).fetchone()[0]
            if not busy:
                break
            time.sleep(5)
    os.sync()  # the seed's gigabytes of dirty pages are written back now, not during the reads
    wait_for_idle_cpu(deadline=started + max_wait)
    return round(time.monotonic() - started, 1)


def idle_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPU time that was idle over the next ``seconds`` (/proc/stat)."""
    def sample():
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_for_idle_cpu(*, deadline: float, idle: float = 0.9) -> None:
    """Wait until the machine is at least ``idle`` idle over 2 s (background writeback, PostgreSQL's
    own work after the seed), or until ``deadline`` (monotonic)."""
    while time.monotonic() < deadline and idle_share() < idle:
        pass


def machine() -> dict:
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
    with psycopg.connect(DB_URL) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {"nproc": os.cpu_count(), "cpu": out(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
            "memory_gib": round(int(mem) / 1024 / 1024, 1), "python": sys.version.split()[0],
            "postgresql": pg, "redis": Redis.from_url(REDIS_URL).info()["redis_version"],
            "wrk": out(["sh", "-c", "wrk -v 2>&1 | head -1"]), "gunicorn": out([str(BIN / "gunicorn"), "--version"]),
            "kernel": out(["uname", "-r"])}


def part(name: str) -> bool:
    """Whether ``BENCH_ONLY`` (empty: everything) includes this part of the run."""
    return not ONLY or name in ONLY


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: apt-get install -y wrk", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)


def main() -> None:
    ensure_wrk()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"results: {OUT}", flush=True)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    Redis.from_url(REDIS_URL).flushdb()  # db 14 belongs to the bench
    env = bench_env()
    subprocess.run([str(BIN / "flask"), "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([str(BIN / "flask"), "seed-sandbox"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    global _STACK
    stack = _STACK = Stack(env)
    summary: dict = {"machine": machine(), "settings": {"duration_s": DURATION, "connections": CONNECTIONS,
                                                        "wrk_threads": WRK_THREADS, "gunicorn": "2 gthread x 8 threads",
                                                        "rq_workers": 2}, "scenarios": {}}
    sampler = None
    try:
        # As `make serve-prod` and deploy/ serve it: libraries' docstrings left out (wsgi.py).
        stack.start("api", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env={**env, "PYTHONOPTIMIZE": "2"})
        stack.start("bare", [str(BIN / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "8", "--keep-alive", "5",
                             "-b", f"127.0.0.1:{BARE_PORT}", "--no-control-socket", "--log-level",
                             "warning", "bench.bare_app:app"])
        for i in (1, 2):
            # Every queue (hsyjs_bench-dispatch, -notifications, -maintenance), as `make worker` does.
            stack.start(f"worker{i}", [str(BIN / "python"), "-m", "jobs.worker", "--name", f"bench-{i}-{os.getpid()}"])
        wait_http(APP + "/readyz")
        wait_http(BARE + "/")
        sampler = RssSampler(stack)
        sampler.start()

        # A finished worked-example case the family is bound to: the hot read.
        clerk = Api(APP).as_staff()
        form = worked_example_form(deceased__id_number=deceased_id(0))
        case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
        qr = clerk.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]
        family = Api(APP).as_applicant(form)
        family.post("/api/v1/scan/bind", json={"token": qr}, expect=200)
        family.wait_for_case(case["id"], all_final, timeout=120)
        with psycopg.connect(DB_URL) as conn:
            user_id = conn.execute("SELECT user_id FROM case_members WHERE case_id = %s", (case["id"],)).fetchone()[0]
        (OUT / "eligibility.json").write_text(json.dumps(form, ensure_ascii=False))
        fam = {"BENCH_TOKEN": family.token}
        cases_url = f"{APP}/api/v1/cases/{case['id']}"
        S = summary["scenarios"]

        print("seeding the small table", flush=True)
        summary["seed_small"] = seed(SEED_SMALL, env, "small", SEED_SECONDS)
        explain_case_read(case["id"], user_id, "small")

        wait_for_idle_cpu(deadline=time.monotonic() + 60)  # the set-up's jobs and the seed done, as before the 1 M reads
        print("load (wrk, %d s each, %d connections)" % (DURATION, CONNECTIONS), flush=True)
        sampler.mark_load()
        S["bare_flask"] = wrk("bare_flask", BARE + "/", "get.lua", {"BENCH_TOKEN": "x"})
        S["get_case"] = wrk("get_case", cases_url, "get.lua", fam)
        if part("requests"):
            half = S["get_case"]["rps"] / 2
            S["get_case_half_load"] = paced_wrk("get_case_half_load", cases_url, "get_paced.lua", fam, half)
            # The same read by the case's clerk: staff answers are never kept (app.cases.answer_cache),
            # so this one goes to PostgreSQL every time, as the family's did before the cache.
            S["get_case_uncached"] = wrk("get_case_uncached", cases_url, "get.lua", {"BENCH_TOKEN": clerk.token})
            S["eligibility"] = wrk("eligibility", APP + "/api/v1/eligibility", "post_json.lua",
                                   {**fam, "BENCH_BODY": str(OUT / "eligibility.json")})
            S["scan_bind"] = wrk("scan_bind", APP + "/api/v1/scan", "scan_bind.lua", {**fam, "BENCH_QR": qr})
            S["qr_png"] = wrk("qr_png", cases_url + "/qrcode?format=png", "get.lua", {"BENCH_TOKEN": clerk.token})
            S["qr_svg"] = wrk("qr_svg", cases_url + "/qrcode?format=svg", "get.lua", {"BENCH_TOKEN": clerk.token})
            S["bare_flask_again"] = wrk("bare_flask_again", BARE + "/", "get.lua", {"BENCH_TOKEN": "x"})
        if part("intake"):
            # Twice: beside the two workers doing the dispatch it causes (all on these two cores),
            # and with the workers paused (SIGSTOP) so the API has the machine, as when workers run
            # on other hosts; the queue keeps the work, which then drains.
            n_bodies = DURATION * 600
            for name, first, paused in (("clerk_intake", 1, False), ("clerk_intake_api_only", n_bodies + 1, True)):
                with open(OUT / "intake-bodies.jsonl", "w") as fh:
                    for n in range(first, first + n_bodies):
                        fh.write(json.dumps(intake_body(n), ensure_ascii=False) + "\n")
                workers = [stack.procs[f"worker{i}"] for i in (1, 2)] if paused else []
                for proc in workers:
                    os.killpg(proc.pid, signal.SIGSTOP)
                try:
                    S[name] = wrk(name, APP + "/api/v1/cases", "intake.lua",
                                  {"BENCH_TOKEN": clerk.token, "BENCH_BODIES": str(OUT / "intake-bodies.jsonl")})
                finally:
                    for proc in workers:
                        os.killpg(proc.pid, signal.SIGCONT)
                S[name]["bodies"], S[name]["workers"] = n_bodies, "paused" if paused else "running"
                (OUT / "intake-bodies.jsonl").unlink()
                print(f"waiting for the queue to drain after {name}", flush=True)
                summary[f"queue_drain_after_{name}_s"] = round(wait_queue_empty(), 1)
            with psycopg.connect(DB_URL) as conn:
                summary["intake_background"] = dict(conn.execute(
                    "SELECT dispatch_state, count(*) FROM matters GROUP BY dispatch_state").fetchall())
        if part("end_to_end"):
            print("end to end", flush=True)
            summary["end_to_end"] = end_to_end(clerk, first=2 * DURATION * 600 + 1)
            print(f"  {summary['end_to_end']}", flush=True)
        if part("large"):
            print("seeding the large table", flush=True)
            summary["get_case_1k_rows"] = S["get_case"]
            summary["seed_large"] = seed(SEED_LARGE, env, "large", SEED_SECONDS)
            summary["settle_large_s"] = settle_database()
            explain_case_read(case["id"], user_id, "large")
            S["get_case_large"] = wrk("get_case_large", cases_url, "get.lua", fam)
            S["get_case_uncached_large"] = wrk("get_case_uncached_large", cases_url, "get.lua",
                                               {"BENCH_TOKEN": clerk.token})
            S["bare_flask_large"] = wrk("bare_flask_large", BARE + "/", "get.lua", {"BENCH_TOKEN": "x"})
        time.sleep(0.5)
    finally:
        if sampler:
            sampler.stopped.set()
            sampler.join()
            summary["peak_rss_mib"] = sampler.mib()
            summary["peak_sampled_rss_mib"] = sampler.sampled_mib()
            summary["peak_rss_under_load_mib"] = sampler.under_load_mib()
            summary["peak_rss_composition_mib"] = sampler.composition_mib()
        stack.stop()
        (OUT / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
        for log in OUT.glob("*.log"):  # the processes' logs run to tens of megabytes: trimmed, compressed
            trim_log(log)
            subprocess.run(["gzip", "-9", "-f", str(log)], check=False)
        print(json.dumps({k: summary.get(k) for k in ("peak_rss_mib", "peak_rss_under_load_mib", "seed_small",
                                                        "seed_large")}), flush=True)
        try:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            Redis.from_url(REDIS_URL).flushdb()
        except Exception as exc:  # noqa: BLE001 - cleanup is best effort; say so
            print(f"cleanup: {exc}", flush=True)


if __name__ == "__main__":
    main()
