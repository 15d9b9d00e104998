"""Give every job an application context, in RQ work-horses and in the embedded runner alike."""
from __future__ import annotations

import os
from functools import wraps

from flask import has_app_context

_app = None
_app_pid = None


def _process_app():
    """One app per process, created lazily after the fork (never inherited from the parent)."""
    global _app, _app_pid
    if _app is None or _app_pid != os.getpid():
        from app import create_app

        _app, _app_pid = create_app(), os.getpid()
    return _app


def job(func):
    """Decorator for job functions: run inside an app context, session removed afterwards."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        with _process_app().app_context():
            return func(*args, **kwargs)

    return wrapper
