"""Attacks on the process's copy of tracked Redis keys (app.tracked_keys), against a real Redis.

Like tests/test_tracked_keys.py, each test tracks its own key prefix in Redis db 13. What is
pinned here: a push the copy could not apply (a handler that raised, a redis-py that did not
call the handler or handed the push back as a reply) never leaves a stale value in use; a child
forked while another thread held a lock of the module can still use it; a second outage of the
tracking connection is logged like the first.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import types
import uuid

import pytest
from redis import Redis

from app import tracked_keys as tracked_keys_module
from app.tracked_keys import TrackedKeys
from tests.conftest import _check_redis
from tests.test_tracked_keys import URL, CountingClient, wait_until, write


@pytest.fixture
def prefix():
    _check_redis()
    prefix = f"hsyjs_test_tk_attack:{uuid.uuid4().hex[:8]}:"
    yield prefix
    other = Redis.from_url(URL)
    stray = list(other.scan_iter(match=prefix.encode() + b"*"))
    if stray:
        other.delete(*stray)


@pytest.fixture
def start():
    """``start(prefix)``: a copy tracking ``prefix`` whose tracking is up (stopped at the end)."""
    started = []

    def _start(prefix: str, max_bytes: int = 1 << 20) -> TrackedKeys:
        kept = TrackedKeys(URL, (prefix,), max_bytes=max_bytes)
        started.append(kept)
        kept.get(())
        wait_until(lambda: kept.stamp() is not None, what="tracking to start")
        return kept

    yield _start
    for kept in started:
        kept.stop()


def _changed_elsewhere(copy, other, key: str, value: bytes, *extra: tuple[bytes, bytes]) -> None:
    """Another process sets ``key`` (and the ``extra`` keys, in the same MULTI: Redis names them
    all in one push) and waits until the push reached this process's tracking thread."""
    before = copy.stamp()
    pipe = other.pipeline(transaction=True)
    for extra_key, extra_value in extra:
        pipe.set(extra_key, extra_value)
    pipe.set(key, value).execute()
    wait_until(lambda: copy.stamp() != before, what="the push")


def test_a_push_that_also_names_a_key_which_is_not_utf8_still_drops_the_kept_key(start, prefix):
    """Redis names every key changed under a tracked prefix in one push per event-loop turn, from
    any client and any database. A key name that is not UTF-8 made the push handler raise half
    way; redis-py logs and swallows a handler's exception, so the kept key stayed in use, stale
    (for up to MAX_AGE_SECONDS) while the PINGs kept confirming the copy."""
    copy = start(prefix)
    client, other = CountingClient(), Redis.from_url(URL)
    key = (prefix + "b",)
    write(copy, other, key[0], b"old")
    assert copy.mget(client, key) == [b"old"] and copy.get(key) == [b"old"]
    _changed_elsewhere(copy, other, key[0], b"new", (prefix.encode() + b"a\xff", b"stray"))
    wait_until(lambda: copy.get(key) != [b"old"], timeout=1.0, what="the stale value to be dropped")
    assert copy.mget(client, key) == [b"new"]


def _a_changed_value_is_not_served_stale(copy, prefix, name: str = "k") -> None:
    """Keep a value, change it from another client: the copy stops serving the old value within a
    second and then reads the new one."""
    client, other = CountingClient(), Redis.from_url(URL)
    key = (prefix + name,)
    other.set(key[0], b"old")
    wait_until(lambda: copy.mget(client, key) == [b"old"] and copy.get(key) == [b"old"], what="a kept value")
    other.set(key[0], b"new")
    wait_until(lambda: copy.get(key) != [b"old"], timeout=1.0, what="the stale value to be dropped")
    wait_until(lambda: copy.mget(client, key) == [b"new"], what="the new value")


def test_a_push_handler_that_raises_never_leaves_a_stale_value_in_use(start, prefix, monkeypatch):
    """Whatever goes wrong while a push is applied (here the forget itself fails), the copy is
    not used with what the push named: redis-py swallows the handler's exception, so the copy
    must notice on its own."""
    real_forget = TrackedKeys.forget

    def failing_forget(self, keys):
        keys = list(keys)
        if any(key.endswith("boom") for key in keys):
            raise RuntimeError("simulated failure applying a push")
        return real_forget(self, keys)

    monkeypatch.setattr(TrackedKeys, "forget", failing_forget)
    _a_changed_value_is_not_served_stale(start(prefix), prefix, name="boom")


def test_a_redis_py_that_never_calls_the_push_handler_does_not_leave_the_copy_trusted(start, prefix, monkeypatch):
    """If redis-py's parser does not take the invalidation handler (an API that changed), it drops
    the push and ``read_response`` answers ``None``: the copy must not go on being used as though
    nothing had changed."""
    from redis._parsers.base import PushNotificationsParser

    monkeypatch.setattr(PushNotificationsParser, "set_invalidation_push_handler", lambda self, func: None)
    _a_changed_value_is_not_served_stale(start(prefix), prefix)


def test_a_push_handed_back_as_a_reply_is_applied(start, prefix, monkeypatch):
    """hiredis < 3.2 has no ``PushNotification`` type: redis-py then returns a push as the reply
    instead of giving it to the handler. The tracking thread must apply it, not skip it."""
    hiredis = pytest.importorskip("hiredis")
    from redis._parsers import hiredis as hiredis_parser

    if not hiredis_parser.HIREDIS_AVAILABLE:
        pytest.skip("redis-py does not use hiredis here")
    monkeypatch.delattr(hiredis, "PushNotification")
    _a_changed_value_is_not_served_stale(start(prefix), prefix)


def _in_child(action, seconds: int = 2) -> int:
    """Run ``action()`` in a forked child; its exit status (0: done; killed by SIGALRM: hung)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(seconds)
            action()
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return status


def _holding(lock):
    """A thread holding ``lock`` until the returned event is set (a fork copies the lock held)."""
    held, release = threading.Event(), threading.Event()

    def hold():
        with lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(2)
    return release, thread


def test_a_child_forked_while_another_thread_held_the_copys_lock_can_use_the_copy(start, prefix):
    """A fork copies a lock held by another thread as held, and that thread does not exist in the
    child: the child's first read (or a write's forget) waited forever."""
    copy = start(prefix)
    release, thread = _holding(copy._lock)
    try:
        status = _in_child(lambda: (copy.get((prefix + "k",)), copy.forget((prefix + "k",))))
    finally:
        release.set()
        thread.join()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the child hung on the copy's lock"


def test_a_child_forked_while_another_thread_held_the_registry_lock_can_make_a_copy(prefix):
    app = types.SimpleNamespace(config={"REDIS_URL": URL, "TRACKED_KEYS_MAX_BYTES": 1 << 20,
                                        "RQ_QUEUE": prefix + "q"}, extensions={})
    release, thread = _holding(tracked_keys_module._instances_lock)
    try:
        status = _in_child(lambda: tracked_keys_module.forget(app, (prefix + "q:case-gen",)))
    finally:
        release.set()
        thread.join()
        for found in [k for k in tracked_keys_module._instances if k[1][1].startswith(prefix)]:
            tracked_keys_module._instances.pop(found).stop()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the child hung on the registry's lock"


def test_every_outage_of_the_tracking_connection_is_logged(start, prefix, caplog):
    """The warning was logged for the first failure only: once tracking had failed, later
    outages (each turning the copy off for a while) went unseen."""
    copy = start(prefix)
    other = Redis.from_url(URL)
    caplog.set_level(logging.INFO, logger="app.tracked_keys")

    def kill_tracking():
        up = copy._confirmed_at
        for client in other.client_list():
            if client["name"] == copy.connection_name:
                other.client_kill_filter(_id=client["id"])
        wait_until(lambda: copy._confirmed_at != up and copy.stamp() is None, what="the copy to be dropped")
        wait_until(lambda: copy.stamp() is not None, timeout=3, what="tracking to come back")

    kill_tracking()
    kill_tracking()
    failures = [r for r in caplog.records if r.levelno == logging.WARNING and "tracking connection failed" in r.getMessage()]
    assert len(failures) == 2, [r.getMessage() for r in caplog.records]
