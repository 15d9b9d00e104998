"""``flask privacy reseal``: re-encrypt every sealed value under the current ``DATA_KEY_ID``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.privacy.fields import Sealed, reseal

privacy_cli = AppGroup("privacy", help="Private data: key rotation and retention.")


def sealed_models():
    """(model, [sealed attribute names]) for every model with sealed fields."""
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        names = [name for name, value in vars(cls).items() if isinstance(value, Sealed)]
        if names:
            yield cls, names


def reseal_all(batch: int = 500) -> dict[str, int]:
    """Out: ``{table: values moved to the current key}``."""
    moved: dict[str, int] = {}
    for cls, names in sealed_models():
        count, offset = 0, 0
        while True:
            rows = db.session.execute(db.select(cls).order_by(*cls.__table__.primary_key.columns)
                                      .offset(offset).limit(batch)).scalars().all()
            if not rows:
                break
            for row in rows:
                count += sum(reseal(row, name) for name in names)
            db.session.commit()
            offset += batch
        moved[cls.__tablename__] = count
    return moved


@privacy_cli.command("reseal")
def reseal_command() -> None:
    """Seal every private value again under DATA_KEY_ID (after adding a key to DATA_KEYS)."""
    for table, count in reseal_all().items():
        click.echo(f"{table}: {count} value(s) re-encrypted")


@privacy_cli.command("purge")
def purge_command() -> None:
    """Redact finished cases past RETENTION_DAYS and drop audit rows past AUDIT_RETENTION_DAYS."""
    from app.privacy.audit import purge_expired
    from app.privacy.service import purge_finished_cases

    click.echo(f"cases redacted: {purge_finished_cases()}; audit rows removed: {purge_expired()}")
