"""Flask extensions, created unbound here and bound in :func:`app.create_app`."""
from flask_migrate import Migrate
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
migrate = Migrate()
api = HsyjsApi()
