"""Jobs queued inside a transaction go out when that transaction commits — the whole of it.

A SAVEPOINT (``begin_nested``) ending inside the transaction is not that commit: SQLAlchemy fires
``after_commit``/``after_rollback`` for it too. Found by the benchmark: a callback opened the
"calendar lacks 2027" operator alert in a savepoint, its release sent the matters' dispatch jobs
before the matters were committed as ready, the jobs found nothing to send and the two matters
waited for the reconciler.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tasks import enqueue_after_commit
from tests.ops.support import make_app, ops_env


class RecordingRunner:
    def __init__(self):
        self.sent = []

    def submit(self, job, ids, delay_seconds):
        self.sent.append((job, ids))


@pytest.fixture()
def app(tmp_path):
    app = make_app(ops_env(tmp_path))
    runner = app.extensions["hsyjs_runner"]
    app.extensions["hsyjs_runner"] = RecordingRunner()
    yield app
    app.extensions["hsyjs_runner"] = runner


def test_a_savepoint_released_inside_the_transaction_sends_nothing_yet(app):
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        enqueue_after_commit("jobs.matters.dispatch_matter", "m1")
        with db.session.begin_nested():
            db.session.execute(sa.text("SELECT 1"))
        assert app.extensions["hsyjs_runner"].sent == []
        db.session.commit()
        assert app.extensions["hsyjs_runner"].sent == [("jobs.matters.dispatch_matter", ("m1",))]


def test_a_savepoint_rolled_back_keeps_the_transactions_jobs(app):
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        enqueue_after_commit("jobs.matters.dispatch_matter", "m2")
        with pytest.raises(ValueError):
            with db.session.begin_nested():
                raise ValueError("e.g. an IntegrityError of a racing insert")
        db.session.commit()
        assert app.extensions["hsyjs_runner"].sent == [("jobs.matters.dispatch_matter", ("m2",))]


def test_a_rolled_back_transaction_sends_nothing(app):
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        enqueue_after_commit("jobs.matters.dispatch_matter", "m3")
        db.session.rollback()
        db.session.commit()
        assert app.extensions["hsyjs_runner"].sent == []
