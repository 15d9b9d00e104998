"""Readiness and the database counts behind the metrics.

``readiness()`` is what ``GET /readyz`` answers: ready when the database answers, its schema is at
the migrations' head(s) and — with ``REDIS_URL`` — Redis answers. The queues (depth and oldest
waiting job, in all and per queue: ``app.observability.queues.queue_stats``) and the working-day
calendar (next year known from 1 November, ``flask calendar check``) are reported too but do not
make the process unready: taking every API process out of the load balancer would not make a
worker or a calendar file appear.
"""
from __future__ import annotations

import ast
import logging
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app import clock
from app.config import MIGRATIONS_DIR
from app.extensions import db
from app.observability import queues

log = logging.getLogger(__name__)
_SCRIPTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def migration_revisions(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """``(heads, every revision id)`` of the Alembic scripts in ``directory``/versions, read once
    per process: a head is a revision no other script names as its ``down_revision``.

    Read from each script's own ``revision`` / ``down_revision`` assignments (Alembic's script
    format), not through Alembic: Alembic's ``ScriptDirectory`` imports every script, and with
    them Alembic, Mako, Pygments and every SQL dialect, about 11 MiB in each API process that
    otherwise never migrates (docs/BENCHMARKS.md). ``tests/ops/test_health.py`` checks the answer
    against Alembic's."""
    if directory not in _SCRIPTS:
        try:
            _SCRIPTS[directory] = _read_statically(directory)
        except _NotPlain:  # a script Alembic reads (it runs them) but a literal read does not: ask Alembic
            from alembic.config import Config
            from alembic.script import ScriptDirectory

            config = Config()
            config.set_main_option("script_location", directory)
            scripts = ScriptDirectory.from_config(config)
            _SCRIPTS[directory] = (frozenset(scripts.get_heads()),
                                   frozenset(rev.revision for rev in scripts.walk_revisions()))
    return _SCRIPTS[directory]


class _NotPlain(Exception):
    """A script whose ``revision`` / ``down_revision`` are not plain literal assignments."""


def _read_statically(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    revisions, parents = set(), set()
    for path in sorted(Path(directory, "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        try:
            ids = _script_ids(path)
        except (ValueError, SyntaxError, UnicodeDecodeError) as exc:
            raise _NotPlain(path.name) from exc
        if "revision" not in ids:
            raise _NotPlain(path.name)
        revisions.add(ids["revision"])
        down = ids.get("down_revision") or ()
        parents.update((down,) if isinstance(down, str) else down)
    return frozenset(revisions - parents), frozenset(revisions)


def _script_ids(path: Path) -> dict:
    ids = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:  # revision: str = "…"
            target = node.target
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            ids[target.id] = ast.literal_eval(node.value)
    return ids


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; the type says why
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database_and_schema() -> tuple[dict, dict]:
    heads, known = migration_revisions(str(MIGRATIONS_DIR))
    schema: dict = {"ok": False, "error": "unknown"}

    def check() -> dict:
        nonlocal schema
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = frozenset()
            if sa.inspect(conn).has_table("alembic_version"):  # read directly: Alembic's context logs
                current = frozenset(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
        schema = {"ok": current == heads, "current": sorted(current), "head": sorted(heads)}
        if current - known:
            # A newer release already migrated (rolling deploy): its migrations must keep this
            # code working (expand, then contract), so this process stays in service.
            schema.update(ok=True, warning="database_ahead")
        elif not schema["ok"]:
            schema["error"] = "behind"
        return {"ok": True}

    return _timed(check), schema


def _redis() -> dict:
    client = queues.redis_client(current_app)
    client.ping()
    return {"ok": True}


def _queue() -> dict:
    stats = queues.queue_stats(current_app)
    return {"ok": True, "runner": "rq", **stats}


def _calendar() -> dict:
    from app.calendar.service import check_next_year, get_calendar

    calendar = get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])
    problems = check_next_year(calendar, clock.shanghai(clock.now()).date())
    return {"ok": not problems, "problems": problems}


#: Chinese messages for the checks that gate readiness.
_MESSAGES = {
    "database": "数据库无法连接",
    "migrations": "数据库结构不是最新版本，请先执行 flask db upgrade",
    "redis": "Redis 无法连接",
}


def readiness() -> tuple[bool, dict]:
    """Out: ``(ready, checks)``; ``checks`` maps ``database``, ``migrations``, ``redis`` (with
    ``REDIS_URL``), ``queue`` and ``calendar`` to ``{"ok": bool, "ms": float, …}``; a failed check
    has ``error`` (an exception type or ``behind``), never a message that could carry data."""
    checks: dict[str, dict] = {}
    checks["database"], checks["migrations"] = _database_and_schema()
    if not checks["database"]["ok"]:
        checks["migrations"] = {"ok": False, "error": "database_unreachable"}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _timed(_redis)
        checks["queue"] = _timed(_queue) if checks["redis"]["ok"] else {"ok": False, "error": "redis_unreachable"}
    else:
        checks["queue"] = {"ok": True, "runner": "embedded"}
    checks["calendar"] = _timed(_calendar)
    ready = all(checks[name]["ok"] for name in _MESSAGES if name in checks)
    return ready, checks


def not_ready_errors(checks: dict) -> dict[str, list[str]]:
    """The failed gating checks as the error shape's ``errors``: ``{"database": ["数据库无法连接（OperationalError）"]}``."""
    failed = [name for name in _MESSAGES if name in checks and not checks[name]["ok"]]
    if "database" in failed:  # the schema is unknown then, not behind: name only the cause
        failed.remove("migrations")
    return {name: [f"{_MESSAGES[name]}（{checks[name].get('error')}）"] for name in failed}


def domain_counts() -> dict[str, list[tuple[tuple, int]]]:
    """Counts for the metrics, in one read: ``matters`` by (department, state), ``dispatch`` by
    (department, dispatch state), ``overdue`` by (department,) — unfinished and past the due time
    the SLA scan marked — and ``deliveries`` by (channel, state). Raises the driver's errors."""
    from app.matters.models import FINAL_STATUSES, Matter
    from app.notify.models import Delivery

    count = sa.func.count()
    try:
        return {
            "matters": [((d, s), n) for d, s, n in db.session.execute(
                sa.select(Matter.department, Matter.status, count).group_by(Matter.department, Matter.status))],
            "dispatch": [((d, s), n) for d, s, n in db.session.execute(
                sa.select(Matter.department, Matter.dispatch_state, count)
                .group_by(Matter.department, Matter.dispatch_state))],
            "overdue": [((d,), n) for d, n in db.session.execute(
                sa.select(Matter.department, count)
                .where(Matter.overdue_at.is_not(None), Matter.status.not_in(FINAL_STATUSES))
                .group_by(Matter.department))],
            "deliveries": [((c, s), n) for c, s, n in db.session.execute(
                sa.select(Delivery.channel, Delivery.state, count).group_by(Delivery.channel, Delivery.state))],
        }
    finally:
        db.session.rollback()
