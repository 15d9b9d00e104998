"""Operator commands for staff accounts: ``flask staff create`` and ``flask staff totp-enrol``."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.identity import mfa, revocation
from app.identity.models import STAFF_ROLES, StaffUser, Window


@click.group("staff")
def staff_cli() -> None:
    """Staff accounts: create, bind the TOTP second factor."""


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--window", "window_id", default=None, help="window id (clerk, village_committee)")
@click.option("--department", default=None, help="department kind (department_officer)")
@click.option("--county", "county_code", default=None, help="GB/T 2260 code of the county, city or province")
@click.password_option()
@with_appcontext
def create_staff(username, display_name, role, window_id, department, county_code, password) -> None:
    """Create a staff account (password hashed with scrypt)."""
    if role in {"clerk", "village_committee"} and not window_id:
        raise click.BadParameter("clerks and village committees need --window", param_hint="--window")
    if role == "department_officer" and not department:
        raise click.BadParameter("department officers need --department", param_hint="--department")
    if window_id and db.session.get(Window, window_id) is None:
        raise click.BadParameter(f"no window {window_id}", param_hint="--window")
    if db.session.execute(db.select(StaffUser).filter_by(username=username)).scalar_one_or_none() is not None:
        raise click.ClickException(f"{username} exists")
    db.session.add(StaffUser(username=username, display_name=display_name, role=role, window_id=window_id,
                             department=department, county_code=county_code,
                             password_hash=generate_password_hash(password)))
    db.session.commit()
    click.echo(f"created {username} ({role})")


@staff_cli.command("totp-enrol")
@click.argument("username")
@with_appcontext
def totp_enrol(username: str) -> None:
    """Give USERNAME a new TOTP secret (confirmed at once) and end the account's sessions.

    Prints the otpauth:// URI once: hand it to the person (as a QR code) in private."""
    user = db.session.execute(db.select(StaffUser).filter_by(username=username)).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"no staff account {username}")
    user.totp_secret, user.totp_last_step, user.totp_confirmed_at = mfa.new_secret(), None, clock.now()
    revocation.revoke_all_sessions(subject=f"staff:{user.id}", reason="totp_reenrolled")
    db.session.commit()
    click.echo(mfa.provisioning_uri(user))
