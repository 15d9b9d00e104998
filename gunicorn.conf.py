"""gunicorn settings for the API: ``gunicorn -c gunicorn.conf.py`` (``make serve-prod``).

Settings come from ``app.config.server_settings`` (``BIND``/``PORT``, ``WEB_CONCURRENCY``,
``GUNICORN_THREADS``, ``GUNICORN_TIMEOUT``, ``GUNICORN_GRACEFUL_TIMEOUT``).

Why ``gthread`` (threads in each worker process), never the default ``sync`` worker:
- in sandbox mode platform login calls *this same server* over HTTP (``/sandbox/platform``) and
  the sandbox departments call back into it; a single-threaded ``sync`` worker waiting for its own
  answer deadlocks until the timeout kills it;
- the live case view long-polls for up to 30 s (``app/cases/live.py``): each wait holds a thread, so
  size ``WEB_CONCURRENCY × GUNICORN_THREADS`` above the families watching at once.

Graceful shutdown: on SIGTERM gunicorn stops accepting, lets requests in flight finish for up to
``graceful_timeout`` seconds, then exits. Jobs belong to ``rq worker`` processes (a SIGTERM'd RQ
worker finishes the job it is running); without ``REDIS_URL`` the embedded runner's jobs die with
the process and the reconciler sends their work again (their state is in the database).

Memory: at most 2 malloc arenas in each process (glibc's ``M_ARENA_MAX``; set here unless the
environment sets its own). glibc's default gives each of a worker's 8 threads an
arena of its own, and each keeps what its thread freed: about 8 MiB more per worker under load
(docs/BENCHMARKS.md). The threads take turns on the GIL anyway, so they hardly contend for one.

Metrics: each worker process counts its own requests into ``PROMETHEUS_MULTIPROC_DIR`` (set up
here when empty, emptied at start) and ``/metrics`` of any worker sums all of them.
"""
import ctypes
import os
import shutil
import tempfile

import wsgi  # noqa: F401 - first: under PYTHONOPTIMIZE=2 our modules keep their docstrings (no app is made here)
from app.config import server_settings

_settings = server_settings()
M_ARENA_MAX = -8  # glibc <malloc.h>
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap this process's malloc arenas (its workers are forked from it and inherit the cap).
    Out: whether the cap was set; not when ``MALLOC_ARENA_MAX`` or ``GLIBC_TUNABLES``'s
    ``glibc.malloc.arena_max`` is set (glibc applied the operator's own at start) or the C
    library is not glibc."""
    if "MALLOC_ARENA_MAX" in os.environ or "glibc.malloc.arena_max" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return mallopt(M_ARENA_MAX, arenas) == 1


limit_malloc_arenas()

wsgi_app = "wsgi:app"
bind = _settings["bind"]
workers = _settings["workers"]
worker_class = "gthread"
threads = _settings["threads"]
timeout = _settings["timeout"]
graceful_timeout = _settings["graceful_timeout"]
keepalive = 5
preload_app = False  # each worker builds its own app: no connection pool or thread crosses the fork
accesslog = None  # the app logs one line per request, with its request id (app/observability)
errorlog = "-"
# gunicorn 27's control socket has one default path per user: a second API process on the same
# host (scaling out, tests) would take it from the first. Nothing here uses it.
control_socket_disable = True

_multiproc_dir = _settings["prometheus_multiproc_dir"]
if not _multiproc_dir:
    _multiproc_dir = tempfile.mkdtemp(prefix="hsyjs-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _multiproc_dir  # read by the workers' app.config


def on_starting(server):
    """Start every run with an empty metrics folder (old workers' files would count twice)."""
    os.makedirs(_multiproc_dir, exist_ok=True)
    for name in os.listdir(_multiproc_dir):
        path = os.path.join(_multiproc_dir, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def child_exit(server, worker):
    """A worker that exited stops counting in the live gauges (counters keep their totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _multiproc_dir)
