"""Attacks on serving with ``PYTHONOPTIMIZE=2`` (d2811ea, ``wsgi.py``) and on the malloc arena
cap (6e1b7bf, ``gunicorn.conf.py``). A failing test shows a fault."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TEST_SECRETS
from tests.ops.test_processes import _ARENA_PROBE


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "PYTHONOPTIMIZE", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    env.update(TEST_SECRETS, PYTHONPATH=str(ROOT), SANDBOX="1", DATABASE_URL=f"sqlite:///{tmp_path / 'served.sqlite3'}",
               UPLOAD_DIR=str(tmp_path / "uploads"), PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    env.update(extra)
    return env


def test_the_rq_worker_starts_under_pythonoptimize_2(tmp_path):
    """``wsgi.py`` says our packages — ``jobs`` named among them — keep their docstrings under
    ``-OO``, but only a process that imports ``wsgi`` first installs the finder. The worker's
    entry point is ``python -m jobs.worker``, whose ``parse_args`` reads ``__doc__.splitlines()``:
    with ``PYTHONOPTIMIZE=2`` in the environment every worker dies at start with
    ``AttributeError``. The API's unit sets it per service today; an operator who applies the
    README's "served with PYTHONOPTIMIZE=2" in the shared ``/etc/hsyjs/hsyjs.env`` (or a
    platform's global config vars, deploy/Procfile) stops every queue."""
    done = subprocess.run([sys.executable, "-m", "jobs.worker", "--help"], cwd=ROOT,
                          env=_env(tmp_path, PYTHONOPTIMIZE="2"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_gunicorn_worker_keeps_the_docstrings_of_all_our_modules(tmp_path):
    """gunicorn's master runs ``gunicorn.conf.py`` — which imports ``app.config``, and so ``app``
    — before any worker imports ``wsgi``: those two modules are loaded without docstrings and
    every forked worker inherits them, so the finder's promise ("our own modules are still
    compiled with theirs") does not hold for them. Harmless today (nothing reads them), but it
    is exactly the kind of gap that silently empties an OpenAPI summary the day a view or a
    schema is imported there."""
    code = ("import json, runpy, sys\n"
            "runpy.run_path('gunicorn.conf.py')  # what gunicorn's master does before forking\n"
            "import wsgi, app, app.config\n"
            "own = {'app': app, 'app.config': app.config, 'app.create_app': app.create_app,\n"
            "       'app.config.load_config': app.config.load_config}\n"
            "print(json.dumps({'optimize': sys.flags.optimize,\n"
            "                  'lost': sorted(k for k, v in own.items() if v.__doc__ is None)}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(tmp_path, PYTHONOPTIMIZE="2"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["optimize"] == 2
    assert result["lost"] == []


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="malloc arenas are glibc's")
def test_an_operators_glibc_tunables_arena_max_is_not_overridden(tmp_path):
    """``limit_malloc_arenas`` leaves the cap alone when ``MALLOC_ARENA_MAX`` is set ("glibc
    applied the operator's own at start"), but ``GLIBC_TUNABLES=glibc.malloc.arena_max=N`` is the
    same setting by glibc's current name, and ``mallopt`` then silently overrides it with 2."""
    env = _env(tmp_path, GLIBC_TUNABLES="glibc.malloc.arena_max=8")

    def arenas(mode):
        done = subprocess.run([sys.executable, "-c", _ARENA_PROBE, mode], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        return int(done.stdout.split()[-1])

    operators = arenas("default")
    assert operators >= 4  # the tunable took effect: the probe's threads got arenas of their own
    assert arenas("capped") >= 4, "gunicorn.conf.py overrode the operator's glibc.malloc.arena_max"
