"""Operator commands: ``flask seed-sandbox`` creates the sandbox windows and staff accounts."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.identity.models import StaffUser, Window

#: Fictional sandbox windows and staff (SPEC §1 actors).
SANDBOX_WINDOWS = [
    {"id": "cs-funeral-home", "name": "长沙市殡仪馆身后“一件事一次办”窗口", "kind": "funeral_home", "division_code": "430100"},
    {"id": "yuelu-service-centre", "name": "岳麓区政务服务中心", "kind": "service_centre", "division_code": "430104"},
    {"id": "yuelu-demo-community", "name": "岳麓区示例社区居委会", "kind": "community", "division_code": "430104"},
]
SANDBOX_STAFF = [
    {"username": "clerk.cs", "display_name": "李窗口", "role": "clerk", "window_id": "cs-funeral-home", "county_code": "430100"},
    {"username": "clerk.yuelu", "display_name": "赵窗口", "role": "clerk", "window_id": "yuelu-service-centre", "county_code": "430104"},
    {"username": "supervisor.cs", "display_name": "周督查", "role": "supervisor", "county_code": "430100"},
    {"username": "officer.housing.cs", "display_name": "钱公积金", "role": "department_officer",
     "department": "housing_fund", "county_code": "430100"},
    {"username": "officer.hrss.zz", "display_name": "孙人社", "role": "department_officer",
     "department": "hrss", "county_code": "430200"},
    {"username": "admin.hn", "display_name": "吴管理", "role": "admin", "county_code": "430000"},
    {"username": "village.yuelu", "display_name": "郑社区", "role": "village_committee",
     "window_id": "yuelu-demo-community", "county_code": "430104"},
]


def seed_sandbox() -> None:
    """Create the sandbox windows and staff if missing (idempotent). Sandbox mode only."""
    if not current_app.config["SANDBOX"]:
        raise click.ClickException("seed-sandbox only runs with SANDBOX on")
    for window in SANDBOX_WINDOWS:
        if db.session.get(Window, window["id"]) is None:
            db.session.add(Window(**window))
    db.session.flush()
    password = generate_password_hash(current_app.config["SANDBOX_STAFF_PASSWORD"])
    for staff in SANDBOX_STAFF:
        if db.session.execute(db.select(StaffUser).filter_by(username=staff["username"])).scalar_one_or_none() is None:
            db.session.add(StaffUser(password_hash=password, **staff))
    db.session.commit()


@click.command("seed-sandbox")
@with_appcontext
def seed_sandbox_command() -> None:
    """Create the sandbox windows and staff accounts (password: SANDBOX_STAFF_PASSWORD)."""
    seed_sandbox()
    click.echo("sandbox windows and staff are ready")


@click.command("sandbox-departments")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@with_appcontext
def sandbox_departments_command(host: str, port: int) -> None:
    """Serve the sandbox departments as a process of their own (sandbox mode only).

    Point the API at it with DEPARTMENT_BASE_URL=http://HOST:PORT/sandbox/departments; the
    departments call back to SANDBOX_CALLBACK_BASE_URL. Behaviours (latency, outages, business
    rejections, duplicate and out-of-order callbacks) are set per department with
    POST /sandbox/departments/{department}/scenarios and SANDBOX_DEPARTMENT_LATENCY_SECONDS.
    """
    if not current_app.config["SANDBOX"]:
        raise click.ClickException("sandbox-departments only runs with SANDBOX on")
    from werkzeug.serving import run_simple

    click.echo(f"sandbox departments on http://{host}:{port}/sandbox/departments")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)
