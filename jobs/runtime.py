"""Give every job an application context, in RQ workers and in the embedded runner alike.

``rq worker -w jobs.worker.AppWorker`` builds the app once in the worker process, without
touching the database, and runs its jobs there. A process forked from one that holds the app
(RQ's scheduler child, or a forking worker class) reuses it after dropping the inherited
connection pool, so no database connection ever crosses a fork. (Building the app per job cost
about 1.5 s.)
"""
from __future__ import annotations

import os
from functools import wraps

from flask import has_app_context

_app = None
_app_pid = None


def warm_app():
    """Build this process's app now (the worker parent calls it; nothing connects)."""
    return _process_app()


def _process_app():
    global _app, _app_pid
    if _app is None:
        from app import create_app

        _app, _app_pid = create_app(migrations=False), os.getpid()
    elif _app_pid != os.getpid():
        from app.extensions import db

        with _app.app_context():
            db.engine.dispose(close=False)  # the parent's pooled connections are not ours
        _app_pid = os.getpid()
    return _app


def job(func):
    """Decorator for job functions: run inside an app context, session removed afterwards; an RQ
    job's log lines carry its job id and its request's id, its outcome goes to the metrics
    (``app.observability.jobs``)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():  # the embedded runner, or a job called by a job: the caller owns the session
            from app.observability.jobs import run_job

            return run_job(func, args, kwargs)
        with _process_app().app_context():  # an RQ worker
            return _run_closing_on_failure(func, args, kwargs)

    wrapper.is_job = True  # how a check finds every job function (each needs a queue: app.tasks.JOB_QUEUES)
    return wrapper


def _run_closing_on_failure(func, args, kwargs):
    from app.observability.jobs import run_job

    try:
        return run_job(func, args, kwargs)
    except BaseException:
        # The job may have been stopped anywhere — by its timeout in the middle of a database
        # call, say, leaving the connection busy and its transaction (and row locks) open. A
        # rollback cannot be trusted then: the session's connections are closed instead, so the
        # server ends the transaction, and the next job gets a fresh connection.
        from app.extensions import db

        try:
            db.session().invalidate()  # the Session itself: scoped_session does not offer it
        except Exception:  # noqa: BLE001 - the job's own error is the one to report
            pass
        raise
