"""/healthz (the process answers) and /readyz (database, schema at head, Redis) — issue 10 §2.

Done when: /readyz turns not-ready when PostgreSQL or Redis is stopped and ready again when they
return, without restarting the API. "Stopped" here is a TCP proxy in front of the shared
services that closes its port and every connection through it, so other test runs on the same
PostgreSQL and Redis are not disturbed; the app sees exactly what a stopped server looks like.
"""
from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit

import pytest

from tests.conftest import REDIS_TEST_URL, drop_postgres, fresh_postgres
from tests.ops.support import TcpProxy, make_app, ops_env

ERROR_SHAPE = {"code", "message", "errors"}


def test_healthz_answers_without_touching_the_database(tmp_path):
    app = make_app(ops_env(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none"), migrate=False)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(tmp_path):
    body = make_app(ops_env(tmp_path)).test_client().get("/readyz")
    assert body.status_code == 200, body.get_json()
    checks = body.get_json()["checks"]
    assert body.get_json()["status"] == "ready"
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert checks["migrations"]["current"] == checks["migrations"]["head"]
    assert checks["queue"] == {"ok": True, "runner": "embedded"}
    assert "ok" in checks["calendar"]  # reported, never gating (see app.observability.service)


def test_readyz_refuses_traffic_while_the_schema_is_behind(tmp_path):
    app = make_app(ops_env(tmp_path), migrate=False)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert set(body) == ERROR_SHAPE and body["code"] == "not_ready"
    assert list(body["errors"]) == ["migrations"] and "flask db upgrade" in body["message"]
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade(revision="heads")
    assert app.test_client().get("/readyz").status_code == 200


def test_readyz_stays_ready_when_a_newer_release_already_migrated(tmp_path):
    """Rolling deploy: the database knows a revision this code does not (expand/contract)."""
    import sqlalchemy as sa

    app = make_app(ops_env(tmp_path))
    with app.app_context():
        from app.extensions import db

        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    body = app.test_client().get("/readyz").get_json()
    assert body["status"] == "ready" and body["checks"]["migrations"]["warning"] == "database_ahead"


def _services_or_skip():
    if os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: PostgreSQL + Redis skipped on this developer machine")


def test_readyz_follows_postgresql_and_redis_going_away_and_coming_back(tmp_path):
    _services_or_skip()
    db_name = f"hsyjs_ops_ready_{os.getpid()}"
    pg_url = urlsplit(fresh_postgres(db_name))
    redis_url = urlsplit(REDIS_TEST_URL)
    pg = TcpProxy(pg_url.hostname, pg_url.port or 5432).restore()
    redis = TcpProxy(redis_url.hostname, redis_url.port or 6379).restore()
    app = None
    try:
        app = make_app(ops_env(
            tmp_path, DATABASE_URL=f"postgresql://{pg_url.username}@127.0.0.1:{pg.port}{pg_url.path}",
            REDIS_URL=f"redis://127.0.0.1:{redis.port}{redis_url.path}", RQ_QUEUE=f"ops-ready-{uuid.uuid4().hex[:8]}",
            READY_CHECK_TIMEOUT_SECONDS="1"))
        client = app.test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        queue = ready.get_json()["checks"]["queue"]
        assert queue["jobs"]["queued"] == 0 and queue["oldest_waiting_seconds"] is None
        prefix = app.config["RQ_QUEUE"]
        assert {name: (one["queue"], one["jobs"]["queued"]) for name, one in queue["queues"].items()} == {
            "dispatch": (f"{prefix}-dispatch", 0), "notifications": (f"{prefix}-notifications", 0),
            "maintenance": (f"{prefix}-maintenance", 0)}

        pg.cut()
        down = client.get("/readyz")
        assert down.status_code == 503
        assert set(down.get_json()) == ERROR_SHAPE and list(down.get_json()["errors"]) == ["database"]
        metrics = client.get("/metrics")  # still answers, and says what it could not read
        assert metrics.status_code == 200 and 'hsyjs_metrics_source_up{source="database"} 0.0' in metrics.text
        pg.restore()
        assert client.get("/readyz").status_code == 200  # the same app, no restart

        redis.cut()
        down = client.get("/readyz")
        assert down.status_code == 503 and list(down.get_json()["errors"]) == ["redis"]
        redis.restore()
        assert client.get("/readyz").status_code == 200
    finally:
        pg.cut()
        redis.cut()
        if app is not None:
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
        drop_postgres(db_name)


def _alembic_revisions(directory) -> tuple[frozenset, frozenset]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(directory))
    scripts = ScriptDirectory.from_config(config)
    return frozenset(scripts.get_heads()), frozenset(rev.revision for rev in scripts.walk_revisions())


def test_readyz_reads_the_same_migration_heads_as_alembic(tmp_path):
    from app.config import MIGRATIONS_DIR
    from app.observability.service import migration_revisions

    assert migration_revisions(str(MIGRATIONS_DIR)) == _alembic_revisions(MIGRATIONS_DIR)
    # And with the shapes Alembic allows that ours lacks: a branch (two heads), a merge, annotations.
    versions = tmp_path / "versions"
    versions.mkdir()
    (tmp_path / "script.py.mako").write_text("")
    scripts = {"a1": "down_revision = None", "b2": "down_revision = 'a1'", "c3": "down_revision: str = 'b2'",
               "d4": "down_revision = ('c3', 'e5')", "e5": "down_revision = 'a1'", "f6": "down_revision = 'a1'"}
    for rev, down in scripts.items():
        (versions / f"{rev}_x.py").write_text(f'"""x"""\nrevision = {rev!r}\n{down}\nbranch_labels = None\n'
                                              "depends_on = None\n\ndef upgrade():\n    pass\n")
    ours = migration_revisions(str(tmp_path))
    assert ours == _alembic_revisions(tmp_path) and ours[0] == {"d4", "f6"}


def test_the_served_app_and_the_workers_load_no_migration_tooling():
    """gunicorn imports ``wsgi`` outside any command; a worker builds its app in jobs.runtime."""
    import subprocess
    import sys

    probe = ("import sys, wsgi, jobs.runtime; jobs.runtime.warm_app(); "
             "print(sorted(m for m in ('alembic', 'flask_migrate', 'mako') if m in sys.modules))")
    env = {**os.environ, "SANDBOX": "1", "PYTHONPATH": os.getcwd()}
    served = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert served.returncode == 0, served.stderr[-2000:]
    assert served.stdout.strip().splitlines()[-1] == "[]"
    command = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "heads"], capture_output=True,
                             text=True, env=env, timeout=60)
    assert command.returncode == 0 and "(head)" in command.stdout, command.stderr[-2000:]
