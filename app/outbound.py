"""Outbound HTTP: every call this product makes to another system goes through :func:`request`.

The callers are the adapters: the department adapters (SPEC §7), the platform's code exchange
(``app.identity.platform``), the message centre (``app.notify.channels``) and, in sandbox mode,
the sandbox departments' signed callbacks (``app.sandbox.service``).

It is urllib3, not requests. requests adds about 4 MiB to every API process on top of urllib3,
which it wraps: charset detection and IDNA tables, none of which these JSON calls use. Each
process keeps one :class:`urllib3.PoolManager`, made on first use and made again in a forked
child, so the two processes never share a socket. It is thread-safe: gunicorn's threads and
the job runner share it, and a connection to the same host is used again.

Every call is a single attempt. No retry is made and no redirect is followed, as with requests'
defaults for these calls: each caller has its own retry policy (the dispatch job's backoff, the
idempotency key, the reconciler), and a department that redirects a signed body is answered as
it answered. ``timeout`` (seconds) bounds the connect and each read, not the whole call.

Errors: every failure to get an answer (refused, reset, TLS, a malformed URL or answer) is a
:class:`RequestError`; a connect or read that timed out is its subclass :class:`Timeout`. (urllib3
itself counts a refused connection as a connect timeout; here it is not one.) The message is the
underlying error's type name only, never a URL or a body, so it can be logged. An HTTP error
status is an answer, not an exception.

TLS is verified against the system's trust store (urllib3's default; requests used certifi's
bundle instead), so a department's own CA is added to the host's store. No proxy is taken from
``HTTP(S)_PROXY``: calls go direct.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping

import urllib3
from urllib3 import exceptions as errors

__all__ = ["RequestError", "Response", "Timeout", "request"]

Response = urllib3.BaseHTTPResponse
# Connections kept per host: a gunicorn worker's threads (GUNICORN_THREADS, 8) calling one department at once.
MAX_CONNECTIONS_PER_HOST = 8



class RequestError(Exception):
    """No answer came; ``str()`` is the underlying error's type name (e.g. ``NewConnectionError``)."""


class Timeout(RequestError):
    """Connecting or a read took longer than the call's ``timeout``."""


_pool: urllib3.PoolManager | None = None
_pool_lock = threading.Lock()


def _forget_pool_in_child() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()  # the parent's lock may have been held at the fork


os.register_at_fork(after_in_child=_forget_pool_in_child)


def _manager() -> urllib3.PoolManager:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = urllib3.PoolManager(maxsize=MAX_CONNECTIONS_PER_HOST, retries=False)
    return _pool


def request(method: str, url: str, *, timeout: float, body: bytes | None = None, json: object = None,
            headers: Mapping[str, str] | None = None, basic_auth: tuple[str, str] | None = None) -> Response:
    """Make one HTTP call and read the whole answer.

    In: ``method`` (``"GET"``, ``"POST"``), an absolute ``url``, ``timeout`` in seconds (connect
    and each read), and at most one of ``body`` (bytes sent as they are: a signed body must
    not be re-encoded) or ``json`` (encoded as UTF-8 JSON with ``Content-Type:
    application/json``); ``headers``; ``basic_auth`` as ``(user, password)`` (RFC 7617).
    Out: the answer, whatever its status: ``.status`` (int), ``.data`` (bytes), ``.json()``
    (raises :class:`ValueError` for a body that is not UTF-8 JSON), ``.headers``.
    Raises :class:`Timeout` or another :class:`RequestError` when no answer came.
    """
    sent = dict(headers or {})
    if basic_auth is not None:
        sent.update(urllib3.make_headers(basic_auth=f"{basic_auth[0]}:{basic_auth[1]}"))
    try:
        return _manager().request(method, url, body=body, json=json, headers=sent, timeout=timeout,
                                  retries=False, redirect=False)
    except errors.NewConnectionError as exc:  # a subclass of ConnectTimeoutError in urllib3 2
        raise RequestError(type(exc).__name__) from exc
    except errors.TimeoutError as exc:
        raise Timeout(type(exc).__name__) from exc
    except errors.HTTPError as exc:
        raise RequestError(type(exc).__name__) from exc
