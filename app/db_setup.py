"""SQLite settings for the embedded default: WAL and a busy timeout, so the API threads and the
embedded job runner can write without 'database is locked' errors."""
from flask import Flask
from sqlalchemy import event


def configure_sqlite(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
