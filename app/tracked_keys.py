"""Redis keys kept in this process while Redis says they are unchanged (issue 9: the family's poll).

Every family poll reads the same few Redis keys: its session's revocation mark
(``app.identity.revocation``) and its case's kept answer (``app.cases.answer_cache``). Between
changes those values do not move, so each API process keeps a copy of the ones it read and asks
Redis only when a copy is missing.

Redis tells us what changed: a background thread holds one RESP3 connection with
``CLIENT TRACKING ON BCAST PREFIX …`` (Redis ≥ 6), so Redis pushes the name of every key under those
prefixes that is written, deleted or expires, and ``None`` when the database is flushed; the thread
drops those keys from the copy. (redis-py's own client-side cache needs Redis ≥ 7.4; we run 7.0.)

What holds:

- A copy is used only while the tracking connection is up and *confirmed*: the thread sends a
  ``PING`` every :data:`HEARTBEAT_SECONDS` and Redis answers it after every push queued before it,
  so a ``PONG`` proves every change made before its ``PING`` has been applied here. When no ``PONG``
  confirms a ``PING`` sent within :data:`STALE_AFTER_SECONDS`, or the connection fails, the copy is
  emptied and not used until tracking is set up afresh. A stuck connection can therefore leave a
  copy stale for at most :data:`STALE_AFTER_SECONDS`; normally a change shows in another process
  as soon as Redis's push arrives (well under a millisecond on one host).
- A value read from Redis is kept only if no push arrived since before that read (a counter), so a
  read overtaken by a change is never kept.
- A push that cannot be applied (the handler fails, or redis-py does not call it) empties the copy
  and sets tracking up afresh: redis-py logs and swallows a push handler's exception, so the
  thread checks every reply itself.
- A forked child starts with an empty copy, fresh locks and its own tracking thread
  (``os.register_at_fork``): nothing the parent kept or held is used.
- This process's own writes drop their keys at once (:meth:`TrackedKeys.forget`): it reads its own
  writes without waiting for the push.
- At most ``TRACKED_KEYS_MAX_BYTES`` of values are kept (least recently used dropped first), and
  none longer than :data:`MAX_AGE_SECONDS`. ``TRACKED_KEYS_MAX_BYTES=0`` turns the copy off.

Any trouble means "no copy": the caller reads Redis as it would without this module.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import OrderedDict

from flask import Flask

log = logging.getLogger(__name__)

#: How often the tracking thread proves its connection current with a PING.
HEARTBEAT_SECONDS = 0.5
#: Copies are not used when the last confirmed PING was sent longer ago than this.
STALE_AFTER_SECONDS = 2.0
#: A kept value is read from Redis again after this long, push or not.
MAX_AGE_SECONDS = 60.0
#: Waits between attempts to set tracking up again after a failure.
RETRY_SECONDS = 1.0
#: Bytes counted for an entry beside its key's characters and its value's bytes: the string and
#: tuple objects and the dict slot (a copy full of revocation marks, which have no value, measured
#: ~340 bytes an entry with tracemalloc, keys included).
_ENTRY_OVERHEAD = 300

_instances: dict[tuple, "TrackedKeys"] = {}
_instances_lock = threading.Lock()
_every: "weakref.WeakSet[TrackedKeys]" = weakref.WeakSet()  # reset in a forked child
_APPLIED = "applied"  # what the push handler returns: redis-py hands it back as the reply


class TrackedKeys:
    """The copy of tracked keys of one Redis database in this process, and its tracking thread.

    ``redis_url``: the database; ``prefixes``: key prefixes tracked (a key outside them is never
    kept); ``max_bytes``: the budget of kept values."""

    def __init__(self, redis_url: str, prefixes: tuple[str, ...], max_bytes: int):
        self.redis_url, self.prefixes, self.max_bytes = redis_url, prefixes, max_bytes
        self._values: OrderedDict[str, tuple[bytes | None, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._pushes = 0  # every push and every emptying counts: a read older than one is not kept
        self._confirmed_at = float("-inf")  # monotonic time of the last PING answered
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False  # the last attempt to track failed (logged once until tracking is back)
        #: ``CLIENT LIST`` shows the tracking connection under this name.
        self.connection_name = f"hsyjs-tracked-keys-{os.getpid()}-{id(self):x}"
        _every.add(self)

    # --- readers --------------------------------------------------------------------------------
    def _current(self) -> bool:
        return time.monotonic() - self._confirmed_at < STALE_AFTER_SECONDS

    def get(self, keys: tuple[str, ...]) -> list[bytes | None] | None:
        """The kept values of ``keys`` (``None`` for a key Redis does not have), or ``None`` when
        one is not kept or the copy cannot be trusted now."""
        self._ensure_thread()
        if not self._current():
            return None
        oldest = time.monotonic() - MAX_AGE_SECONDS
        with self._lock:
            found = []
            for key in keys:
                kept = self._values.get(key)
                if kept is None or kept[1] < oldest:
                    return None
                self._values.move_to_end(key)
                found.append(kept[0])
            return found

    def mget(self, client, keys: tuple[str, ...]) -> list[bytes | None]:
        """The values of ``keys``: kept ones when every key is kept, else ``client.mget(keys)``
        (then kept). Raises what ``client.mget`` raises."""
        values = self.get(keys)
        if values is None:
            stamp = self.stamp()
            values = client.mget(keys)
            self.keep(stamp, keys, values)
        return values

    def stamp(self) -> int | None:
        """Take before reading Redis; ``None`` when nothing read now may be kept."""
        self._ensure_thread()
        return self._pushes if self._current() else None

    def keep(self, stamp: int | None, keys: tuple[str, ...], values: list[bytes | None]) -> None:
        """Keep ``values`` of ``keys`` read from Redis after :meth:`stamp` gave ``stamp`` — unless a
        push arrived since, the copy is not current, or a key is outside the tracked prefixes."""
        if stamp is None or not all(key.startswith(self.prefixes) for key in keys):
            return
        now = time.monotonic()
        with self._lock:
            if stamp != self._pushes or not self._current():
                return
            for key, value in zip(keys, values):
                self._drop(key)
                self._values[key] = (value, now)
                self._bytes += len(key) + _ENTRY_OVERHEAD + (len(value) if value else 0)
            while self._bytes > self.max_bytes and self._values:
                self._drop(next(iter(self._values)))

    # --- writers --------------------------------------------------------------------------------
    def forget(self, keys) -> None:
        """Drop ``keys``: this process has just written them."""
        with self._lock:
            self._pushes += 1
            for key in keys:
                self._drop(key)

    def clear(self) -> None:
        """Drop every kept value."""
        with self._lock:
            self._pushes += 1
            self._values.clear()
            self._bytes = 0

    def _drop(self, key) -> None:  # under self._lock
        kept = self._values.pop(key, None)
        if kept is not None:
            self._bytes -= len(key) + _ENTRY_OVERHEAD + (len(kept[0]) if kept[0] else 0)

    # --- the tracking thread --------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is not None:  # a forked child has none: _after_fork_in_child
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hsyjs-tracked-keys", daemon=True)
                self._thread.start()

    def _after_fork(self) -> None:
        """In a forked child: the parent's thread, connection and copy are not ours, and a lock
        another thread of the parent held is held for ever here: replace them all, unlocked."""
        self._lock = threading.Lock()
        self._thread, self._confirmed_at = None, float("-inf")
        self.connection_name = f"hsyjs-tracked-keys-{os.getpid()}-{id(self):x}"
        self._values = OrderedDict()
        self._bytes = 0
        self._pushes += 1
        self._stopped = threading.Event()

    def stop(self) -> None:
        """End the tracking thread (tests); the copy is no longer used."""
        self._stopped.set()
        self._confirmed_at = float("-inf")

    def _on_push(self, message):
        """Apply a RESP3 push: [b"invalidate", [key, …]] or [b"invalidate", None] when a database is
        flushed. Returns :data:`_APPLIED`; on any failure empties the copy and returns ``None``
        (redis-py logs and swallows a handler's exception: the copy cannot rely on it being raised)."""
        try:
            keys = message[1] if len(message) > 1 else None
            if keys is None:
                self.clear()
            else:
                # A key name need not be UTF-8 (any client, any database): it matches no kept key.
                self.forget([key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key
                             for key in keys])
            return _APPLIED
        except Exception:  # noqa: BLE001 - what the push named is unknown: drop everything
            self.clear()
            log.exception("tracked keys: a push could not be applied; the copy was emptied")
            return None

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._track()
            except Exception as exc:  # noqa: BLE001 - any failure: no copy until tracking is back
                self._confirmed_at = float("-inf")
                self.clear()
                if not self._failing:
                    log.warning("tracked keys: tracking connection failed (%s); reading Redis every time "
                                "until it is back", type(exc).__name__)
                self._failing = True
                self._stopped.wait(RETRY_SECONDS)
            else:
                return
        self.clear()

    def _track(self) -> None:
        from redis import Connection
        from redis.connection import parse_url

        kwargs = parse_url(self.redis_url)
        connection_class = kwargs.pop("connection_class", Connection)  # unix:// and rediss:// name theirs
        connection = connection_class(**kwargs, protocol=3, socket_timeout=STALE_AFTER_SECONDS,
                                      socket_connect_timeout=STALE_AFTER_SECONDS)
        try:
            connection.connect()
            connection.send_command("CLIENT", "SETNAME", self.connection_name)
            connection.read_response()
            # redis-py delivers RESP3 pushes to this handler while it reads the connection.
            connection._parser.set_invalidation_push_handler(self._on_push)
            sent = time.monotonic()
            connection.send_command("CLIENT", "TRACKING", "ON", "BCAST",
                                    *(part for prefix in self.prefixes for part in ("PREFIX", prefix)))
            if connection.read_response() != b"OK":
                raise RuntimeError("CLIENT TRACKING refused")
            self.clear()  # anything kept before this point may have missed a push
            self._confirmed_at = sent
            if self._failing:
                log.info("tracked keys: tracking connection is back")
                self._failing = False
            pings: list[float] = []  # PINGs sent and not answered yet
            last_ping = float("-inf")
            while not self._stopped.is_set():
                if time.monotonic() - last_ping >= HEARTBEAT_SECONDS:
                    last_ping = time.monotonic()
                    pings.append(last_ping)
                    connection.send_command("PING")
                if connection.can_read(timeout=HEARTBEAT_SECONDS / 2):
                    reply = connection.read_response(push_request=True)
                    if reply == b"PONG":
                        self._confirmed_at = pings.pop(0)
                    elif reply is not _APPLIED and not (_is_invalidation(reply) and self._on_push(reply) is _APPLIED):
                        # A push not applied (the handler failed, or was not called: redis-py then
                        # answers None), or a reply nobody asked for: no copy until tracking is back.
                        raise RuntimeError(f"tracking connection: unexpected reply {type(reply).__name__}")
                elif pings and time.monotonic() - pings[0] >= STALE_AFTER_SECONDS:
                    raise TimeoutError("no PONG")
        finally:
            self._confirmed_at = float("-inf")
            connection.disconnect()


def _is_invalidation(reply) -> bool:
    """Whether ``reply`` is an invalidation push that redis-py handed back instead of to the handler
    (hiredis < 3.2 has no push type to tell it by)."""
    return isinstance(reply, list) and len(reply) == 2 and reply[0] in (b"invalidate", "invalidate")


def _after_fork_in_child() -> None:
    global _instances_lock
    _instances_lock = threading.Lock()
    for copy in list(_every):
        copy._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def tracked_keys(app: Flask) -> TrackedKeys | None:
    """The process's copy for ``app``'s Redis and the prefixes of the keys kept (revocation marks,
    kept case answers); ``None`` on the embedded default or with ``TRACKED_KEYS_MAX_BYTES=0``."""
    url, max_bytes = app.config["REDIS_URL"], app.config["TRACKED_KEYS_MAX_BYTES"]
    if not url or max_bytes <= 0:
        return None
    settings = (url, max_bytes, app.config["RQ_QUEUE"])
    known = app.extensions.get("hsyjs_tracked_keys")  # every request asks: the answer kept per settings
    if known is not None and known[0] == settings:
        return known[1]
    from app.cases.answer_cache import key_prefix
    from app.identity.revocation import KEY_PREFIX

    prefixes = (KEY_PREFIX, key_prefix(app))
    found = _instances.get((url, prefixes, max_bytes))
    if found is None:
        with _instances_lock:
            found = _instances.setdefault((url, prefixes, max_bytes), TrackedKeys(url, prefixes, max_bytes))
    app.extensions["hsyjs_tracked_keys"] = (settings, found)
    return found


def mget(app: Flask, client, keys: tuple[str, ...]) -> list[bytes | None]:
    """``client.mget(keys)``, answered from this process's copy (:meth:`TrackedKeys.mget`) when
    there is one. Raises what ``client.mget`` raises."""
    copy = tracked_keys(app)
    return client.mget(keys) if copy is None else copy.mget(client, keys)


def forget(app: Flask, keys) -> None:
    """Tell this process's copy that it has just written ``keys``: call right after the write."""
    copy = tracked_keys(app)
    if copy is not None:
        copy.forget(keys)
