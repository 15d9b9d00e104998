"""SQLite settings for the embedded default.

WAL plus ``BEGIN IMMEDIATE``: every transaction takes SQLite's write lock when it begins, so
the API threads and the embedded job runner queue on ``busy_timeout`` instead of failing with
'database is locked' when a read transaction later tries to write (SQLITE_BUSY_SNAPSHOT, which
no timeout can cure). PostgreSQL needs none of this.
"""
from flask import Flask
from sqlalchemy import event


def configure_sqlite(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" below open transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
