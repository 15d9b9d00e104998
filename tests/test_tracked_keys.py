"""The process's copy of tracked Redis keys (app.tracked_keys), against a real Redis.

Each test tracks its own key prefix in Redis db 13 (Redis reports changes by key name across
databases, so other tests' keys never touch these). What is pinned: a kept value is served without
Redis and dropped when Redis reports a change, a read overtaken by a change is never kept, a flush
empties the copy, and the copy is not used while its tracking connection is down or unanswered.
"""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from redis import Redis

from app.tracked_keys import STALE_AFTER_SECONDS, TrackedKeys
from tests.conftest import REDIS_TEST_URL, _check_redis

URL = REDIS_TEST_URL.rsplit("/", 1)[0] + "/13"


class CountingClient:
    """A Redis client that counts its ``MGET`` round trips."""

    def __init__(self):
        self.redis, self.mgets = Redis.from_url(URL), 0

    def mget(self, keys):
        self.mgets += 1
        return self.redis.mget(keys)


def wait_until(condition, timeout: float = 3.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def write(copy, other, key: str, value: bytes, **options) -> None:
    """Set ``key`` from another client and wait until the copy has applied Redis's push (a read
    begun before the push arrives is, rightly, not kept)."""
    before = copy.stamp()
    other.set(key, value, **options)
    wait_until(lambda: copy.stamp() != before, what="the push")


@pytest.fixture
def prefix() -> str:
    _check_redis()
    return f"hsyjs_test_tk:{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def copy(prefix):
    kept = TrackedKeys(URL, (prefix,), max_bytes=1 << 20)
    kept.get(())  # starts its tracking thread
    wait_until(lambda: kept.stamp() is not None, what="tracking to start")
    yield kept
    kept.stop()


def test_a_kept_value_is_served_without_redis_until_redis_reports_a_change(copy, prefix):
    client, other = CountingClient(), Redis.from_url(URL)
    keys = (prefix + "a", prefix + "missing")
    write(copy, other, keys[0], b"first")
    assert copy.mget(client, keys) == [b"first", None]
    assert copy.mget(client, keys) == [b"first", None]
    assert client.mgets == 1, "the second read came from the copy"

    other.set(keys[0], b"second")  # another process's write: Redis pushes the key's name
    wait_until(lambda: copy.get(keys) is None, what="the push")
    assert copy.mget(client, keys) == [b"second", None] and client.mgets == 2

    other.set(keys[1], b"now here")  # a key kept as missing is reported too
    wait_until(lambda: copy.get(keys) is None, what="the push")
    assert copy.mget(client, keys) == [b"second", b"now here"]


def test_an_expired_key_is_dropped(copy, prefix):
    client, other = CountingClient(), Redis.from_url(URL)
    key = (prefix + "short",)
    write(copy, other, key[0], b"x", px=100)
    assert copy.mget(client, key) == [b"x"]
    time.sleep(0.2)
    other.exists(key[0])  # Redis expires a key when it is touched, at the latest
    wait_until(lambda: copy.get(key) is None, what="the expiry push")
    assert copy.mget(client, key) == [None]


def test_a_read_overtaken_by_a_change_is_not_kept(copy, prefix):
    other = Redis.from_url(URL)
    key = (prefix + "raced",)
    other.set(key[0], b"old")
    stamp = copy.stamp()
    old = other.mget(key)  # read from Redis…
    other.set(key[0], b"new")  # …then changed before the reader keeps what it read
    wait_until(lambda: copy.stamp() != stamp, what="the push")
    copy.keep(stamp, key, old)
    assert copy.get(key) is None, "the stale read was not kept"


def test_this_process_reads_its_own_write_at_once(copy, prefix):
    client, other = CountingClient(), Redis.from_url(URL)
    key = (prefix + "mine",)
    assert copy.mget(client, key) == [None]
    other.set(key[0], b"written here")
    copy.forget(key)  # what revocation and the answer cache do right after their writes
    assert copy.mget(client, key) == [b"written here"]


def test_a_flush_empties_the_copy(copy, prefix):
    client, other = CountingClient(), Redis.from_url(URL)
    key = (prefix + "f",)
    write(copy, other, key[0], b"1")
    copy.mget(client, key)
    assert copy.get(key) == [b"1"]
    other.flushdb()
    wait_until(lambda: copy.get(key) is None, what="the flush push")


def test_keys_outside_the_tracked_prefixes_are_never_kept(copy, prefix):
    client = CountingClient()
    key = (f"hsyjs_test_untracked:{uuid.uuid4().hex}",)
    copy.mget(client, key)
    copy.mget(client, key)
    assert client.mgets == 2 and copy.get(key) is None


def test_the_copy_keeps_to_its_byte_budget_dropping_the_least_recently_used(prefix):
    small = TrackedKeys(URL, (prefix,), max_bytes=4_000)
    small.get(())
    wait_until(lambda: small.stamp() is not None, what="tracking to start")
    try:
        other, client = Redis.from_url(URL), CountingClient()
        keys = [(prefix + f"k{i}",) for i in range(10)]
        for key in keys:
            write(small, other, key[0], b"v" * 900)
            small.mget(client, key)
        assert small._bytes <= 4_000
        assert small.get(keys[-1]) == [b"v" * 900]
        assert small.get(keys[0]) is None, "the oldest went first"
    finally:
        small.stop()


def test_the_copy_is_not_used_while_its_tracking_connection_is_down(copy, prefix):
    client, other = CountingClient(), Redis.from_url(URL)
    key = (prefix + "down",)
    write(copy, other, key[0], b"before")
    copy.mget(client, key)
    victims = [c["id"] for c in other.client_list() if c["name"] == copy.connection_name]
    assert victims, "the tracking connection is named in CLIENT LIST"
    for client_id in victims:
        other.client_kill_filter(_id=client_id)
    wait_until(lambda: copy.get(key) is None, what="the copy to be dropped")
    other.set(key[0], b"changed while tracking was down")
    wait_until(lambda: copy.stamp() is not None, what="tracking to come back")
    assert copy.mget(client, key) == [b"changed while tracking was down"]


def test_the_copy_is_not_used_when_redis_stops_answering_its_pings(copy, prefix):
    """A stuck connection delivers no pushes: after STALE_AFTER_SECONDS without a PONG the copy
    is not trusted (here every Redis client is paused, as a hung Redis would be)."""
    client, other = CountingClient(), Redis.from_url(URL)
    key = (prefix + "stuck",)
    write(copy, other, key[0], b"kept")
    copy.mget(client, key)
    assert copy.get(key) == [b"kept"]
    pause_ms = int((STALE_AFTER_SECONDS + 1.0) * 1000)
    paused_at = time.monotonic()
    other.client_pause(pause_ms, all=True)
    seen = []
    checker = threading.Thread(target=lambda: (time.sleep(STALE_AFTER_SECONDS + 0.5), seen.append(copy.get(key))))
    checker.start()
    checker.join()
    assert time.monotonic() - paused_at < pause_ms / 1000, "checked while Redis was still paused"
    assert seen == [None]
    wait_until(lambda: copy.stamp() is not None, timeout=5, what="the copy to be trusted again")
