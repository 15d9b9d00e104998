"""身后一件事一次办 — the mobile-facing backend. ``create_app`` builds the Flask app."""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None, *, migrations: bool = True) -> Flask:
    """Build the app. ``config`` overrides what :func:`app.config.load_config` reads from the
    environment (tests use it). Nothing connects to the database or Redis here.

    ``migrations``: set up Flask-Migrate (``flask db …``, ``flask_migrate.upgrade``). The served
    API (``wsgi.py`` under gunicorn) and the workers leave it out: Alembic, and the Mako, Pygments
    and SQL dialects it loads, cost about 11 MiB in every process that never migrates
    (docs/BENCHMARKS.md); ``/readyz`` reads the migration heads without it."""
    from app.config import INSTANCE_DIR, MIGRATIONS_DIR, load_config

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(load_config())
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False

    from app import tasks
    from app.errors import register_error_handlers
    from app.extensions import api, db

    from app import http_guards, observability

    observability.init_app(app)  # first: logging, request ids, /healthz, /readyz, /metrics (issue 10)
    http_guards.init_app(app)  # before the blueprints, so <int:…> routes get the bounded converter
    db.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR))
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    tasks.init_app(app)
    _register_models()
    _register_blueprints(app, api)
    from app.identity import auth, ratelimit

    auth.init_app(app)  # authenticate before a body is parsed
    ratelimit.init_app(app)  # after the blueprints: it applies their views' limits
    register_error_handlers(app)
    from app.privacy import audit

    audit.init_app(app)
    _register_docs(app)
    _register_cli(app)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from app.db_setup import configure_sqlite

        configure_sqlite(app)
    return app


def _register_models() -> None:
    import app.cases.models  # noqa: F401
    import app.departments.models  # noqa: F401
    import app.identity.models  # noqa: F401
    import app.matters.models  # noqa: F401
    import app.materials.models  # noqa: F401
    import app.notify.models  # noqa: F401
    import app.privacy.models  # noqa: F401
    import app.sandbox.models  # noqa: F401
    import app.supervision.models  # noqa: F401


def _register_blueprints(app: Flask, api) -> None:
    from app.cases.views import blp as cases
    from app.catalogue.views import blp as catalogue
    from app.departments.views import blp as departments
    from app.identity.views import blp as auth
    from app.notify.views import blp as messages
    from app.cases.correction_views import blp as corrections
    from app.departments.workbench_views import blp as workbench
    from app.qr.views import blp as scan
    from app.qr.views import case_qr_blp as case_qr
    from app.cases.member_views import blp as members

    from app.privacy.views import blp as privacy

    for blp in (auth, catalogue, cases, corrections, scan, messages, departments, workbench, privacy):
        api.register_blueprint(blp)
    for blp in (case_qr, members):
        api.register_blueprint(blp)
    from app.materials.views import blp as materials
    from app.village.views import blp as village

    for blp in (materials, village):
        api.register_blueprint(blp)
    from app.supervision.rating_views import blp as ratings
    from app.supervision.views import blp as supervision

    for blp in (ratings, supervision):
        api.register_blueprint(blp)
    if app.config["SANDBOX"]:
        from app.sandbox.views import blp as sandbox

        api.register_blueprint(sandbox)
        from app.sandbox.h5 import blp as h5_pages

        app.register_blueprint(h5_pages)  # the phone pages under /mp/ (sandbox only, not in OpenAPI)


def _register_docs(app: Flask) -> None:
    """Swagger UI at /docs from assets shipped in the ``flask-swagger-ui`` package (offline)."""
    from flask_swagger_ui import get_swaggerui_blueprint

    app.register_blueprint(
        get_swaggerui_blueprint("/docs", "/openapi.json", config={"app_name": app.config["API_TITLE"]}),
        url_prefix="/docs",
    )


def _register_cli(app: Flask) -> None:
    from app.calendar.cli import calendar_cli
    from app.cli import sandbox_departments_command, seed_sandbox_command
    from app.identity.cli import staff_cli

    app.cli.add_command(staff_cli)

    app.cli.add_command(calendar_cli)
    from app.privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)
    app.cli.add_command(seed_sandbox_command)
    app.cli.add_command(sandbox_departments_command)
