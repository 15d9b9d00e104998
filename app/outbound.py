"""Outbound HTTP: every call this product makes to another system goes through :func:`request`.

The callers are the adapters: the department adapters (SPEC §7), the platform's code exchange
(``app.identity.platform``), the message centre (``app.notify.channels``) and, in sandbox mode,
the sandbox departments' signed callbacks (``app.sandbox.service``).

It is urllib3, not requests. requests adds about 4 MiB to every API process on top of urllib3,
which it wraps: charset detection and IDNA tables, none of which these JSON calls use. What
requests did for us is done here: JSON sent as ASCII (``\\uXXXX`` escapes), Basic auth from the
URL's user-info, a URL without ``http://`` or ``https://`` refused, a body read in the charset
its ``Content-Type`` declares.

Every call is a single attempt on a connection of its own (``Connection: close``, closed after
the call), as requests' module functions did: each caller has its own retry policy (the dispatch job's
backoff, the idempotency key, the reconciler), and a kept-alive connection that the other side
closes just as the next call is written would fail that call. No redirect is followed: a
department that redirects a signed body answers with a 3xx, which the callers refuse as an
acceptance (only a 2xx is one). ``timeout`` (seconds) bounds the connect and each read, and a
watchdog ends the call ``2 × timeout`` after it started (a server trickling its headers or body
cannot hold a thread); an answer longer than :data:`MAX_ANSWER_BYTES` is refused.

Errors: every failure to get an answer (refused, reset, TLS, a malformed URL, header or answer,
an answer too long or too slow) is a :class:`RequestError`; a connect or read that timed out, or
an answer slower than the whole-call bound, is its subclass :class:`Timeout`. (urllib3 itself
counts a refused connection as a connect timeout; here it is not one.) The message is a type
name only, never a URL or a body, so it can be logged. An HTTP error status is an answer.

TLS is verified against the system's trust store (urllib3's default; requests used certifi's
bundle instead), so a department's own CA is added to the host's store. No proxy is taken from
``HTTP(S)_PROXY``: calls go direct.
"""
from __future__ import annotations

import base64
import http.client
import json as jsonlib
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote

from urllib3 import exceptions as errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import parse_url

__all__ = ["Answer", "RequestError", "Timeout", "request"]

MAX_ANSWER_BYTES = 1 << 20  # 1 MiB: a receipt, a refusal or an identity is a few hundred bytes
_CHUNK = 64 << 10


class RequestError(Exception):
    """No answer came; ``str()`` is the kind of failure (e.g. ``NewConnectionError``)."""


class Timeout(RequestError):
    """Connecting, a read, or the whole answer took longer than the call allows."""


@dataclass(frozen=True)
class Answer:
    """What the other side answered: ``status`` (int), ``headers`` (case-insensitive), ``data``
    (the body's bytes)."""

    status: int
    headers: Mapping[str, str]
    data: bytes

    def json(self):
        """The body as JSON, decoded in the charset its ``Content-Type`` declares (UTF-8 when it
        declares none). Raises :class:`ValueError` for a body that is not JSON in it."""
        message = Message()
        message["Content-Type"] = self.headers.get("Content-Type") or "application/json"
        charset = message.get_content_charset() or "utf-8"
        try:
            text = self.data.decode(charset)
        except LookupError as exc:  # an unknown charset name
            raise ValueError(f"unknown charset {charset!r}") from exc
        return jsonlib.loads(text)

    def json_object(self) -> dict:
        """:meth:`json`, which must be an object. Raises :class:`ValueError` otherwise."""
        value = self.json()
        if not isinstance(value, dict):
            raise ValueError("the answer is not a JSON object")
        return value


def _basic(user: str, password: str) -> str:
    """RFC 7617 Basic credentials, UTF-8 encoded (its ``charset="UTF-8"``)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def request(method: str, url: str, *, timeout: float, body: bytes | None = None, json: object = None,
            headers: Mapping[str, str] | None = None, basic_auth: tuple[str, str] | None = None) -> Answer:
    """Make one HTTP call and read the whole answer.

    In: ``method`` (``"GET"``, ``"POST"``), an absolute ``http://`` or ``https://`` ``url``
    (user-info in it is sent as Basic auth), ``timeout`` in seconds, and at most one of ``body``
    (bytes sent as they are: a signed body must not be re-encoded) or ``json`` (sent as ASCII
    JSON with ``Content-Type: application/json``); ``headers``; ``basic_auth`` as ``(user,
    password)``. Out: the :class:`Answer`, whatever its status.
    Raises :class:`Timeout` or another :class:`RequestError` when no usable answer came.
    """
    try:
        sent = dict(headers or {})
        parsed = parse_url(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise RequestError("InvalidURL")
        if parsed.auth:
            user, _, password = parsed.auth.partition(":")
            basic_auth = basic_auth or (unquote(user), unquote(password))  # RFC 3986 user-info is %-encoded
            parsed = parsed._replace(auth=None)
        if basic_auth is not None:
            sent["Authorization"] = _basic(*basic_auth)
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":"), allow_nan=False).encode("ascii")
            sent.setdefault("Content-Type", "application/json")
        sent["Connection"] = "close"
        connection_class = HTTPSConnection if parsed.scheme == "https" else HTTPConnection
        connection = connection_class(parsed.host.strip("[]"), parsed.port, timeout=timeout)  # this call's own; an IPv6
        # literal without its brackets, which http.client puts back in the Host header
    except (errors.HTTPError, ValueError) as exc:
        raise RequestError(type(exc).__name__) from exc
    expired = threading.Event()
    watchdog = threading.Timer(2 * timeout, _expire, args=(connection, expired))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.connect()
        if expired.is_set():  # the watchdog fired while connecting, before there was a socket to shut
            raise Timeout("AnswerTooSlow")
        connection.request(method, parsed.request_uri, body=body, headers=sent, preload_content=False)
        response = connection.getresponse()
        return Answer(response.status, response.headers, _read(response, expired))
    except RequestError:
        raise
    except errors.NewConnectionError as exc:  # a subclass of ConnectTimeoutError in urllib3 2
        raise (Timeout("AnswerTooSlow") if expired.is_set() else RequestError(type(exc).__name__)) from exc
    except (errors.TimeoutError, TimeoutError) as exc:
        raise Timeout(type(exc).__name__) from exc
    except (errors.HTTPError, http.client.HTTPException, OSError, ValueError, OverflowError, MemoryError) as exc:
        if expired.is_set():
            raise Timeout("AnswerTooSlow") from exc
        # ValueError: a header value with a line break, a JSON value that cannot be sent, a
        # malformed chunk size; OverflowError/MemoryError: a declared length too large to read.
        raise RequestError(type(exc).__name__) from exc
    finally:
        watchdog.cancel()
        connection.close()


def _expire(connection, expired: threading.Event) -> None:
    """The whole-call bound: shut the connection's socket, so that a read waiting on it ends."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _read(response, expired: threading.Event) -> bytes:
    """The body, at most :data:`MAX_ANSWER_BYTES`, unless the watchdog has fired."""
    declared = response.headers.get("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise RequestError("AnswerTooLarge")
    parts, size = [], 0
    while True:
        if expired.is_set():
            raise Timeout("AnswerTooSlow")
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise RequestError("AnswerTooLarge")
        parts.append(chunk)
