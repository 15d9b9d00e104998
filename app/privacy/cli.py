"""``flask privacy reseal``: re-encrypt every sealed value and every uploaded file under the
current ``DATA_KEY_ID`` (and seal uploaded files stored in plaintext before encryption)."""
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
    """Out: ``{table: values moved to the current key, "uploads": files sealed again}``, plus
    ``uploads_missing`` / ``uploads_failed`` when some files are gone or do not open (see
    :func:`app.materials.service.reseal_uploads`)."""
    from app.materials.service import reseal_uploads

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
    files = reseal_uploads()
    moved["uploads"] = files["sealed"]
    for problem in ("missing", "failed"):
        if files[problem]:
            moved[f"uploads_{problem}"] = files[problem]
    return moved


@privacy_cli.command("reseal")
def reseal_command() -> None:
    """Seal every private value and uploaded file again under DATA_KEY_ID (after adding a key to
    DATA_KEYS); uploaded files kept in plaintext before encryption are sealed too. Exits 1 when
    some file is missing or does not open (each is logged with its upload id)."""
    moved = reseal_all()
    for table, count in moved.items():
        if table.startswith("uploads_"):
            continue
        click.echo(f"{table}: {count} {'file(s)' if table == 'uploads' else 'value(s)'} re-encrypted")
    problems = {k: v for k, v in moved.items() if k.startswith("uploads_")}
    if problems:
        click.echo(f"uploads not re-encrypted: {problems.get('uploads_missing', 0)} missing, "
                   f"{problems.get('uploads_failed', 0)} unreadable (see the log)", err=True)
        raise SystemExit(1)


@privacy_cli.command("purge")
def purge_command() -> None:
    """Redact finished cases past RETENTION_DAYS and drop audit rows past AUDIT_RETENTION_DAYS."""
    from app.privacy.audit import purge_expired
    from app.privacy.service import purge_finished_cases

    click.echo(f"cases redacted: {purge_finished_cases()}; audit rows removed: {purge_expired()}")
