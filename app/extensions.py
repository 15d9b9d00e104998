"""Flask extensions, created unbound here and bound in :func:`app.create_app`."""
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

from app import openapi

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

class HsyjsApi(Api):
    """flask-smorest with the product's error shape in the OpenAPI document (its default
    describes ``code`` as an integer; ours is a string) on every error answer."""

    from schemas.errors import ErrorSchema as ERROR_SCHEMA  # noqa: N811

    def register_blueprint(self, blp, **options):
        """As flask-smorest's, and every response of ``blp`` documents its real body
        (:mod:`app.openapi`)."""
        openapi.add_to(blp)
        super().register_blueprint(blp, **options)


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
api = HsyjsApi()


class DefaultsOnInit:
    """Mixin for a model (before ``db.Model``): its Python-side column defaults are applied when
    an object is made, not at its ``INSERT``, so a new row reads the same before its first flush
    as after it. Rows that are made, worked on and written in one flush (a case filed with its
    matters and materials, :func:`app.cases.service.create_case`) rely on it."""

    def __init__(self, **kwargs):
        for column in self.__table__.columns:
            default = column.default
            if default is None or column.key in kwargs or not (default.is_scalar or default.is_callable):
                continue
            kwargs[column.key] = default.arg(None) if default.is_callable else default.arg
        super().__init__(**kwargs)


def commit_keeping_state() -> None:
    """Commit ``db.session`` without expiring the objects it holds (``expire_on_commit`` for
    this one commit only). For a request that has just written every row it answers with — a
    case filed now — so its answer is made from memory, not read back. Raises what
    ``Session.commit`` raises."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
