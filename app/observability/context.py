"""Which request or job this thread is working for: the ids every log line carries.

A request id comes from the caller's ``X-Request-Id`` (when it is a short plain token) or is made
here; it is echoed in the response and travels with every job the request enqueues (RQ job
``meta``, or the embedded runner's thread), so the job's log lines carry it next to their own job
id. Only these opaque ids travel, never anything private.
"""
from __future__ import annotations

import random
import re
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("hsyjs_request_id", default=None)
_job_id: ContextVar[str | None] = ContextVar("hsyjs_job_id", default=None)

#: An incoming ``X-Request-Id`` is kept only if it looks like an id (no spaces, no markup, short).
_ACCEPTABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def new_request_id(offered: str | None = None) -> str:
    """``offered`` if it is 1–64 characters of ``A-Z a-z 0-9 . _ : -`` that the log scrubber leaves
    alone (no run of 7 or more digits, which could be a phone or ID number and would be masked in
    the logs, so the echoed id would match no log line), else 32 fresh random hex digits.

    A request id only ties log lines together and grants nothing, so it comes from ``random``
    (reseeded in every forked process), not the system's random source: ``uuid4`` took a system
    call on every request (issue 9)."""
    from app.observability.logs import scrub  # logs imports this module

    if offered and _ACCEPTABLE.fullmatch(offered) and scrub(offered) == offered:
        return offered
    return f"{random.getrandbits(128):032x}"


def request_id() -> str | None:
    """The request id this thread works for (inside a request, or a job that a request queued)."""
    return _request_id.get()


def job_id() -> str | None:
    """The id of the job this thread is running (RQ job id, or the embedded runner's own)."""
    return _job_id.get()


def bind_request(value: str | None):
    """Set the request id; returns a token for :func:`unbind_request`."""
    return _request_id.set(value)


def unbind_request(token) -> None:
    _request_id.reset(token)


@contextmanager
def job_context(*, job: str | None, request: str | None):
    """Run a block as job ``job`` on behalf of request ``request`` (both may be ``None``)."""
    job_token, request_token = _job_id.set(job), _request_id.set(request)
    try:
        yield
    finally:
        _job_id.reset(job_token)
        _request_id.reset(request_token)
