"""Migrations — issue 10 §5: every revision upgrades to the head(s) and downgrades to base on
SQLite and PostgreSQL, and the models and the migrations describe the same schema (what
``flask db check`` checks), so ``flask db upgrade`` — the deploy step — builds exactly the models."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests.conftest import drop_postgres, fresh_postgres
from tests.ops.support import make_app, ops_env


def _differences(app) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def _tables(app) -> set[str]:
    from app.extensions import db

    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def _round_trip(app) -> None:
    import flask_migrate

    from app.extensions import db

    with app.app_context():
        flask_migrate.upgrade(revision="heads")
    assert _differences(app) == [], "models and migrations differ: add a migration (flask db migrate)"
    assert _tables(app) >= {"cases", "matters", "alembic_version"}
    with app.app_context():
        flask_migrate.downgrade(revision="base")
    assert _tables(app) <= {"alembic_version"}, "downgrade to base left tables behind"
    with app.app_context():
        flask_migrate.upgrade(revision="heads")  # and up again: downgrades left nothing in the way
        db.engine.dispose()


def test_upgrade_downgrade_and_models_match_on_sqlite(tmp_path):
    _round_trip(make_app(ops_env(tmp_path), migrate=False))


def test_upgrade_downgrade_and_models_match_on_postgresql(tmp_path):
    if os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: PostgreSQL skipped on this developer machine")
    name = f"hsyjs_ops_migrate_{os.getpid()}"
    try:
        _round_trip(make_app(ops_env(tmp_path, DATABASE_URL=fresh_postgres(name)), migrate=False))
    finally:
        drop_postgres(name)
