"""Attacks on the family's case answer kept in Redis (app.cases.answer_cache) and on the kept
verified JWTs (app.identity.tokens._verified).

The answer cache only works on the PostgreSQL + Redis stack, so its tests use that stack alone.
The first four were written by an attack on the first version of the cache, each failing then
(faults found: a change committed during a Redis blink served stale afterwards; a case id of ``*``
spoiling the generation counter; 404 reads leaving 7-day keys; commits waiting on a Redis already
marked down). The others check what the existing tests do not (pending/refused members and other families against a kept answer, a
Redis that hangs instead of refusing, tokens kept after a first acceptance).
"""
from __future__ import annotations

import socket
import time

import pytest

from tests.helpers import Api
from tests.notify.conftest import fresh_person, make_quiet_case


@pytest.fixture
def pg_case(postgres_stack, captured_jobs, monkeypatch):
    """A quiet case (see tests/notify/conftest.py) on the stack that keeps answers in Redis."""
    monkeypatch.setitem(postgres_stack.app.config, "QUIET_HOURS", None)
    return make_quiet_case(postgres_stack, captured_jobs)


@pytest.fixture
def silent_redis():
    """A TCP port on 127.0.0.1 that accepts connections (the kernel's backlog) but never answers:
    a Redis that hangs rather than refuses."""
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    yield server.getsockname()[1]
    server.close()


def _client_like_the_product(port: int, timeout: float):
    """A client made as answer_cache._client makes it (``Redis.from_url``: redis-py's ``Redis()``
    constructor would add retries with backoff that the product's client does not have)."""
    from redis import Redis

    return Redis.from_url(f"redis://127.0.0.1:{port}/15", socket_timeout=timeout, socket_connect_timeout=timeout)


def _path(case) -> str:
    return f"/api/v1/cases/{case.case_id}"


def _kept_and_primed(case, api) -> dict:
    """Read twice: the first starts the case's token, the second keeps the answer in Redis."""
    first = api.get(_path(case), expect=200)
    second = api.get(_path(case), expect=200)
    assert second.content == first.content
    return first.json() | {"_etag": first.headers["ETag"]}


def _set_reason(stack, matter_id: str, reason: str) -> float:
    """An ORM change to one matter, committed as any service would; out: seconds the commit took."""
    from app.extensions import db
    from app.matters.models import Matter

    with stack.app.app_context():
        db.session.get(Matter, matter_id).reason = reason
        started = time.monotonic()
        db.session.commit()
        return time.monotonic() - started


# --- found by attack (medium): a change committed while Redis blinked was served stale afterwards ---

def test_a_change_committed_during_a_redis_blink_shows_once_redis_is_back(pg_case, monkeypatch):
    """The writer's token replacement (answer_cache.changed) fails when Redis does not answer
    within CASE_ANSWER_CACHE_TIMEOUT_SECONDS (0.2 s) — a blink, a failover, a busy worker host.
    The commit stands, but the answer kept before it is still under the unchanged token: once
    Redis answers again every reader is served the old answer (and 304 on the old ETag) for up to
    CASE_ANSWER_CACHE_SECONDS (300 s by default). Expected: the committed change on the next read."""
    stack, daughter = pg_case.stack, pg_case.api_for(0)
    before = _kept_and_primed(pg_case, daughter)
    target = before["matters"][0]
    good = stack.app.extensions["hsyjs_case_answer_redis"]

    # The writer's Redis call fails (here: refused); its commit goes through.
    monkeypatch.setitem(stack.app.extensions, "hsyjs_case_answer_redis",
                        _client_like_the_product(1, 0.2))
    _set_reason(stack, target["id"], "部门已受理，正在核对（Redis 中断时提交）")
    # Redis is back a moment later (and this process has not marked it down: it did no lookup).
    stack.app.extensions["hsyjs_case_answer_redis"] = good
    monkeypatch.setitem(stack.app.extensions, "hsyjs_case_answer_down_until", 0.0)

    after = daughter.get(_path(pg_case), expect=200)
    shown = next(m for m in after.json()["matters"] if m["id"] == target["id"])
    assert shown["reason"] == "部门已受理，正在核对（Redis 中断时提交）", "the answer kept before the commit"
    again = daughter.get(_path(pg_case), headers={"If-None-Match": before["_etag"]})
    assert again.status_code == 200, "304 for a case that changed: the old ETag still matches the kept answer"


# --- found by attack (low): GET /api/v1/cases/* turned the global generation into a non-number ---

def test_a_case_id_that_is_not_one_never_reaches_redis_and_bulk_changes_still_show(pg_case):
    """The case id from the URL goes straight into the Redis key: ``<prefix>:case-ver:*`` is also
    the generation that ORM bulk statements INCR. While that key does not exist (a fresh
    deployment, or a Redis restarted without its data), any signed-in family user who asks for
    case ``*`` makes lookup() SET it to a random hex token (NX, 7 days). Every later INCR then
    fails ("value is not an integer"), so bulk UPDATEs of matters (SLA scan, reconciler) no longer
    void kept answers. Expected: the bulk change shows on the next read, as without the request."""
    from redis import Redis

    from app.extensions import db
    from app.matters.models import Matter
    from datetime import datetime, timezone
    from tests.conftest import REDIS_TEST_URL

    stack, daughter = pg_case.stack, pg_case.api_for(0)
    generation_key = f"{stack.app.config['RQ_QUEUE']}:case-gen"
    client = Redis.from_url(REDIS_TEST_URL)
    client.delete(generation_key)  # as on a fresh deployment: no bulk statement has run yet
    try:
        stranger = Api(stack.base_url).as_family(**fresh_person("赵敏"))
        stranger.get("/api/v1/cases/*", expect=404)  # an ordinary 404 ...
        stored = client.get(generation_key)  # ... that must not touch the generation

        before = _kept_and_primed(pg_case, daughter)
        assert not any(m["overdue"] for m in before["matters"])
        with stack.app.app_context():
            db.session.execute(db.update(Matter).where(Matter.case_id == pg_case.case_id)
                               .values(overdue_at=datetime(2026, 3, 1, tzinfo=timezone.utc)))
            db.session.commit()
        shown = daughter.get(_path(pg_case), expect=200).json()["matters"]
        assert all(m["overdue"] for m in shown), f"bulk change not shown; the generation key held {stored!r}"
    finally:
        # Leave a generation no kept answer was stored under, so later tests of this run are unaffected.
        client.set(generation_key, time.time_ns())


# --- found by attack (low-medium): every 404 read left a 7-day Redis key named by the caller ---

def test_reading_a_case_that_does_not_exist_leaves_nothing_in_redis(pg_case):
    """lookup() runs before any access check and, finding no token, SETs one for whatever id the
    URL names, kept 7 days. Any signed-in family user can so fill Redis (which also holds the RQ
    queues, revocations and rate-limit counters) with one key per request, each as long as the
    URL allows — no rate limit applies to this read. Expected: a read that ends in 404 (no such
    case, or not the caller's) writes nothing to Redis."""
    import uuid

    from redis import Redis

    from tests.conftest import REDIS_TEST_URL

    stack = pg_case.stack
    stranger = Api(stack.base_url).as_family(**fresh_person("赵敏"))
    client = Redis.from_url(REDIS_TEST_URL)
    prefix = stack.app.config["RQ_QUEUE"]
    names = [uuid.uuid4().hex, "x" * 2000 + uuid.uuid4().hex]
    for name in names:
        stranger.get(f"/api/v1/cases/{name}", expect=404)
    stranger.get(_path(pg_case), expect=404)  # a real case, not the stranger's
    left = [(name[:12] + "…", client.ttl(f"{prefix}:case-ver:{name}")) for name in names
            if client.exists(f"{prefix}:case-ver:{name}")]
    client.delete(*(f"{prefix}:case-ver:{name}" for name in names))
    assert left == [], f"keys written by 404 reads (name, seconds to live): {left}"


# --- found by attack (low): commits kept waiting on a Redis that lookups gave up on -------------

def test_commits_do_not_wait_on_a_redis_that_reads_already_skip(pg_case, monkeypatch, silent_redis):
    """The module promises that after a Redis failure "Redis is left alone for
    RETRY_AFTER_SECONDS" so an outage costs one timeout, not one a request. Lookups honour that,
    but answer_cache.changed() (after every commit touching a case, matter or member: every
    callback, dispatch job and family correction) still calls the hanging Redis and blocks the
    committing request or job for the whole socket timeout, every time. Expected: a commit made
    while the cache is marked down does not wait on Redis."""
    stack, daughter = pg_case.stack, pg_case.api_for(0)
    target = daughter.get(_path(pg_case), expect=200).json()["matters"][0]
    monkeypatch.setitem(stack.app.extensions, "hsyjs_case_answer_redis",
                        _client_like_the_product(silent_redis, 1.0))
    monkeypatch.setitem(stack.app.extensions, "hsyjs_case_answer_down_until", 0.0)
    daughter.get(_path(pg_case), expect=200)  # the lookup times out once and marks Redis down
    assert stack.app.extensions["hsyjs_case_answer_down_until"] > time.monotonic()
    took = _set_reason(stack, target["id"], "请补充死亡证明原件")
    assert took < 0.5, f"the commit waited {took:.2f}s on a Redis already marked down"


# --- Checks the existing tests do not make (these pass) -----------------------------------------

def test_a_hanging_redis_still_answers_from_the_database_and_only_once_pays_its_timeout(pg_case, monkeypatch,
                                                                                          silent_redis):
    stack, daughter = pg_case.stack, pg_case.api_for(0)
    target = _kept_and_primed(pg_case, daughter)["matters"][0]
    monkeypatch.setitem(stack.app.extensions, "hsyjs_case_answer_redis",
                        _client_like_the_product(silent_redis, 0.3))
    monkeypatch.setitem(stack.app.extensions, "hsyjs_case_answer_down_until", 0.0)
    daughter.get(_path(pg_case), expect=200)  # pays the timeout once
    monkeypatch.setitem(stack.app.extensions, "hsyjs_case_answer_down_until", time.monotonic() + 60)
    _set_reason(stack, target["id"], "部门已受理（Redis 无响应期间）")
    started = time.monotonic()
    shown = daughter.get(_path(pg_case), expect=200).json()
    assert time.monotonic() - started < 2
    assert next(m for m in shown["matters"] if m["id"] == target["id"])["reason"] == "部门已受理（Redis 无响应期间）"


def test_pending_and_refused_relatives_are_refused_a_kept_answer(pg_case):
    from tests.people import qr_token

    stack, applicant = pg_case.stack, pg_case.api_for(0)
    path = _path(pg_case)
    relative = Api(stack.base_url).as_family(**fresh_person("周杰", "1"))
    token = qr_token(Api(stack.base_url).as_staff(), pg_case.case_id)
    assert relative.post("/api/v1/scan/bind", json={"token": token}, expect=200).json()["membership"] == "pending"
    primed = _kept_and_primed(pg_case, applicant)
    relative.get(path, expect=404)
    relative.get(path, headers={"If-None-Match": primed["_etag"]}, expect=404)
    pending = next(m for m in applicant.get(f"{path}/members", expect=200).json() if m["status"] == "pending")
    applicant.post(f"{path}/members/{pending['id']}/refuse", expect=200)
    _kept_and_primed(pg_case, applicant)
    relative.get(path, expect=404)


def test_a_member_of_another_case_is_refused_a_kept_answer(pg_case, postgres_stack, captured_jobs):
    other = make_quiet_case(postgres_stack, captured_jobs, members=1)
    primed = _kept_and_primed(pg_case, pg_case.api_for(0))
    outsider = other.api_for(0)
    outsider.get(_path(other), expect=200)
    outsider.get(_path(pg_case), expect=404)
    outsider.get(_path(pg_case), headers={"If-None-Match": primed["_etag"]}, expect=404)
    # Staff are never served from the cache, and a family's kept answer is no one else's ETag.
    window = Api(postgres_stack.base_url).as_staff()
    staff_answer = window.get(_path(pg_case), expect=200)
    assert staff_answer.headers["ETag"] != primed["_etag"]
    assert staff_answer.json()["id"] == pg_case.case_id


# --- Kept verified tokens (app.identity.tokens) -------------------------------------------------

def test_a_refresh_token_verified_once_is_still_not_an_access_token(embedded_stack):
    from tests.people import login_tokens, new_person

    tokens = login_tokens(embedded_stack, new_person())
    api = Api(embedded_stack.base_url)
    rotated = api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, expect=200).json()
    # Both refresh tokens have now been verified (and kept); neither opens an access-only view.
    assert Api(embedded_stack.base_url, tokens["refresh_token"]).get("/api/v1/me/cases").status_code == 401
    api.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}, expect=200)
    assert Api(embedded_stack.base_url, rotated["refresh_token"]).get("/api/v1/me/cases").status_code == 401


def test_a_token_accepted_before_is_refused_once_its_key_id_is_given_a_new_secret(embedded_stack, monkeypatch):
    from tests.people import login_tokens, new_person

    access = login_tokens(embedded_stack, new_person())["access_token"]
    me = Api(embedded_stack.base_url, access)
    assert me.get("/api/v1/me/cases").status_code == 200
    config = embedded_stack.app.config
    kid, keys = config["JWT_KEY_ID"], dict(config["JWT_KEYS"])
    monkeypatch.setitem(config, "JWT_KEYS", {kid: "a-replaced-secret-of-at-least-32-bytes!!"})
    assert me.get("/api/v1/me/cases").status_code == 401
    config["JWT_KEYS"] = keys
    assert me.get("/api/v1/me/cases").status_code == 200
    monkeypatch.setitem(config, "JWT_AUDIENCE", "another-audience")
    assert me.get("/api/v1/me/cases").status_code == 401
