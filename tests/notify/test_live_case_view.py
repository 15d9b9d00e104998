"""The live case view: ETag / If-None-Match on the case, and a long-poll that a new event ends."""
import threading
import time

import pytest


def test_304_when_nothing_changed_and_a_new_etag_after_an_event(quiet_case):
    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    first = daughter.get(path, expect=200)
    etag = first.headers["ETag"]
    assert etag.startswith('"v')

    unchanged = daughter.get(path, headers={"If-None-Match": etag}, expect=304)
    assert unchanged.content == b"" and unchanged.headers["ETag"] == etag

    quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回，相关待遇继续办理。")
    changed = daughter.get(path, headers={"If-None-Match": etag}, expect=200)
    assert changed.headers["ETag"] != etag and changed.json()["id"] == quiet_case.case_id


def test_the_etag_changes_when_a_matter_changes_without_an_event(quiet_case):
    from app.extensions import db
    from app.matters.models import Matter

    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    etag = daughter.get(path, expect=200).headers["ETag"]
    with quiet_case.stack.app.app_context():
        matter = db.session.execute(db.select(Matter).filter_by(case_id=quiet_case.case_id).limit(1)).scalar_one()
        matter.dispatch_state = "pending"
        db.session.commit()
    daughter.get(path, headers={"If-None-Match": etag}, expect=200)


def test_a_new_event_ends_a_long_poll(quiet_case):
    daughter = quiet_case.api_for(0)
    base = f"/api/v1/cases/{quiet_case.case_id}/events"
    last = max(e["id"] for e in daughter.get(base, expect=200).json())
    answer = {}

    def poll():
        answer["events"] = daughter.get(f"{base}?after={last}&wait=25", expect=200).json()

    poller = threading.Thread(target=poll)
    poller.start()
    poller.join(0.5)  # let it start waiting
    event_id = quiet_case.record("supplement_completed", "您补充的材料已收齐，相关事项将继续办理。")
    poller.join(30)
    assert not poller.is_alive()
    assert [e["id"] for e in answer["events"]] == [event_id]
    assert answer["events"][0]["kind"] == "supplement_completed"


def test_a_long_poll_without_news_answers_empty_and_checks_its_input(quiet_case):
    daughter = quiet_case.api_for(0)
    base = f"/api/v1/cases/{quiet_case.case_id}/events"
    events = daughter.get(base, expect=200).json()
    assert events and [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert daughter.get(f"{base}?after={events[-1]['id']}&wait=0.3", expect=200).json() == []
    assert "wait" in daughter.get(f"{base}?wait=31", expect=422).json()["errors"]


@pytest.mark.parametrize("path", ["", "/events", "/summary"])
def test_the_live_view_is_for_bound_family_only(quiet_case, path):
    from tests.helpers import Api
    from tests.notify.conftest import fresh_person

    stranger = Api(quiet_case.stack.base_url).as_family(**fresh_person("赵敏"))
    stranger.get(f"/api/v1/cases/{quiet_case.case_id}{path}", expect=404)


# The family's answer kept in Redis while the case is unchanged (app.cases.answer_cache). On the
# PostgreSQL + Redis stack a repeat read comes from Redis; on the embedded default (no Redis) every
# read is built from the database. Either way every committed change must show on the next read.

def _statements_during(stack, action) -> tuple[list[str], object]:
    """SQL statements on the stack app's own engine while ``action()`` runs (the in-process server)."""
    from sqlalchemy import event

    from app.extensions import db

    seen: list[str] = []
    with stack.app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        if "cases" in statement or "matters" in statement or "case_members" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen, result


def test_a_repeat_read_of_an_unchanged_case_is_the_same_answer_and_with_redis_needs_no_database(quiet_case):
    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    first = daughter.get(path, expect=200)  # starts the case's token (app.cases.answer_cache)
    assert daughter.get(path, expect=200).content == first.content  # built once more, and kept
    statements, again = _statements_during(quiet_case.stack, lambda: daughter.get(path, expect=200))
    assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Type"] == "application/json"
    if quiet_case.stack.mode == "postgres":
        assert statements == []
    else:
        assert statements, "the embedded default has no Redis: every read is built from the database"


def _kept_answer(quiet_case, *, needs_redis: bool = True):
    """The applicant's client, the case path and the answer after three polls (the third is kept)."""
    if needs_redis and quiet_case.stack.mode != "postgres":
        pytest.skip("the embedded default keeps no answers")
    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    for _ in range(3):
        shown = daughter.get(path, expect=200)
    return daughter, path, shown


def test_a_kept_answer_is_sealed_in_redis(quiet_case):
    """The answer names the deceased and the applicant and shows amounts: Redis holds it sealed."""
    from redis import Redis

    _, _, shown = _kept_answer(quiet_case)
    app = quiet_case.stack.app
    stored = Redis.from_url(app.config["REDIS_URL"]).get(f"{app.config['RQ_QUEUE']}:case-answer-body:{quiet_case.case_id}")
    assert stored is not None and shown.content not in stored
    assert shown.json()["deceased"]["name"].encode() not in stored
    assert quiet_case.case_id.encode() not in stored


def test_a_committed_change_to_a_matter_shows_on_the_next_read(quiet_case):
    from app.extensions import db
    from app.matters.models import Matter

    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    before = daughter.get(path, expect=200).json()
    target = before["matters"][0]
    assert target["status"] != "accepted"
    with quiet_case.stack.app.app_context():
        db.session.get(Matter, target["id"]).status = "accepted"
        db.session.commit()
    after = daughter.get(path, expect=200).json()
    assert next(m for m in after["matters"] if m["id"] == target["id"])["status"] == "accepted"


def test_a_bulk_update_of_matters_shows_on_the_next_read(quiet_case):
    """An ORM bulk UPDATE names no rows to the session: every kept answer is voided."""
    from datetime import datetime, timezone

    from app.extensions import db
    from app.matters.models import Matter

    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    assert not any(m["overdue"] for m in daughter.get(path, expect=200).json()["matters"])
    with quiet_case.stack.app.app_context():
        db.session.execute(db.update(Matter).where(Matter.case_id == quiet_case.case_id)
                           .values(overdue_at=datetime(2026, 3, 1, tzinfo=timezone.utc)))
        db.session.commit()
    assert all(m["overdue"] for m in daughter.get(path, expect=200).json()["matters"])


def test_a_change_rolled_back_is_not_shown_and_a_later_commit_is(quiet_case):
    from app.extensions import db
    from app.matters.models import Matter

    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    target = daughter.get(path, expect=200).json()["matters"][0]
    with quiet_case.stack.app.app_context():
        db.session.get(Matter, target["id"]).reason = "窗口测试：未提交的修改"
        db.session.flush()
        db.session.rollback()
    assert daughter.get(path, expect=200).json()["matters"][0]["reason"] == target["reason"]
    with quiet_case.stack.app.app_context():
        db.session.get(Matter, target["id"]).reason = "请补充死亡证明原件"
        db.session.commit()
    shown = next(m for m in daughter.get(path, expect=200).json()["matters"] if m["id"] == target["id"])
    assert shown["reason"] == "请补充死亡证明原件"


def test_a_removed_member_can_no_longer_read_a_kept_answer(quiet_case):
    applicant, son = quiet_case.api_for(0), quiet_case.api_for(1)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    for _ in range(3):
        son.get(path, expect=200)  # kept, with the son among its readers
    members = applicant.get(f"{path}/members", expect=200).json()
    son_entry = next(m for m in members if m["name"] == quiet_case.people[1]["name"])
    applicant.request("DELETE", f"{path}/members/{son_entry['id']}", expect=204)
    son.get(path, expect=404)
    applicant.get(path, expect=200)


def test_the_case_is_read_from_the_database_while_redis_is_unreachable(quiet_case, monkeypatch, caplog):
    """A Redis outage costs the cache, never the answer; a change committed meanwhile still shows."""
    if quiet_case.stack.mode != "postgres":
        pytest.skip("the embedded default keeps no answers")
    from redis import Redis

    from app.extensions import db
    from app.matters.models import Matter

    app = quiet_case.stack.app
    daughter = quiet_case.api_for(0)
    path = f"/api/v1/cases/{quiet_case.case_id}"
    target = daughter.get(path, expect=200).json()["matters"][0]
    monkeypatch.setitem(app.extensions, "hsyjs_case_answer_redis",
                        Redis(host="127.0.0.1", port=1, socket_timeout=0.2, socket_connect_timeout=0.2))
    monkeypatch.setitem(app.extensions, "hsyjs_case_answer_down_until", 0.0)
    with app.app_context():
        db.session.get(Matter, target["id"]).reason = "部门已受理，正在核对"
        db.session.commit()  # the change cannot be marked in Redis: the commit still stands
    statements, answer = _statements_during(quiet_case.stack, lambda: daughter.get(path, expect=200))
    assert statements, "read from the database"
    assert next(m for m in answer.json()["matters"] if m["id"] == target["id"])["reason"] == "部门已受理，正在核对"
    assert "case answer cache" in caplog.text


def _redis_round_trips_during(action) -> tuple[int, object]:
    """Commands sent to Redis (a pipeline counts once) by this process while ``action()`` runs,
    leaving out the pings of the tracked-keys thread (app.tracked_keys)."""
    from redis.connection import AbstractConnection

    sent, real = [0], AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        if threading.current_thread().name != "hsyjs-tracked-keys":
            sent[0] += 1
        return real(self, command, check_health)

    AbstractConnection.send_packed_command = counting
    try:
        result = action()
    finally:
        AbstractConnection.send_packed_command = real
    return sent[0], result


def _poll_until_free(daughter, path, timeout: float = 3.0):
    """Poll until a poll makes no Redis round trip (the API process's copy holds every key it
    reads); out: that poll's answer. Fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        trips, answer = _redis_round_trips_during(lambda: daughter.get(path, expect=200))
        if trips == 0:
            return answer
        assert time.monotonic() < deadline, f"every poll still made {trips} Redis round trip(s)"
        time.sleep(0.02)


def test_a_poll_of_an_unchanged_case_makes_no_redis_round_trip(quiet_case):
    """The revocation mark and the kept answer come from the API process's copy of those keys."""
    daughter, path, first = _kept_answer(quiet_case)
    again = _poll_until_free(daughter, path)
    assert again.content == first.content


def test_a_poll_of_an_unchanged_case_opens_nothing_again(quiet_case, monkeypatch):
    """The kept answer is parsed and decrypted once per process, not on every poll; a changed
    answer is opened afresh."""
    from app.extensions import db
    from app.matters.models import Matter
    from app.privacy import crypto

    daughter, path, first = _kept_answer(quiet_case)
    opened, real = [], crypto.open_bytes

    def counting(sealed, *, aad, **kw):
        if aad.startswith("case-answer."):  # a kept answer (app.cases.answer_cache._aad)
            opened.append(aad)
        return real(sealed, aad=aad, **kw)

    monkeypatch.setattr(crypto, "open_bytes", counting)
    assert daughter.get(path, expect=200).content == first.content
    assert opened == []
    target = first.json()["matters"][0]["id"]
    with quiet_case.stack.app.app_context():
        db.session.get(Matter, target).reason = "材料已转交经办人"
        db.session.commit()
    for _ in range(3):  # built, kept, then read from the kept answer: opened once
        shown = daughter.get(path, expect=200).json()
    assert next(m for m in shown["matters"] if m["id"] == target)["reason"] == "材料已转交经办人"
    assert len(opened) == 1


def test_without_the_copy_a_poll_costs_one_redis_round_trip(quiet_case, monkeypatch):
    """TRACKED_KEYS_MAX_BYTES=0: the kept answer is read with the session-revocation check, in one MGET."""
    monkeypatch.setitem(quiet_case.stack.app.config, "TRACKED_KEYS_MAX_BYTES", 0)
    daughter, path, first = _kept_answer(quiet_case)
    trips, again = _redis_round_trips_during(lambda: daughter.get(path, expect=200))
    assert again.content == first.content and trips == 1


def test_a_session_ended_by_another_process_is_refused_while_the_copy_held_it_live(quiet_case):
    """Another API process writes the revocation to Redis; Redis's push reaches this process and
    the next poll is refused (within the push's delay, never the copy's lifetime)."""
    import jwt
    from redis import Redis

    from app.identity.revocation import KEY_PREFIX

    daughter, path, _ = _kept_answer(quiet_case)
    _poll_until_free(daughter, path)
    sid = jwt.decode(daughter.token, options={"verify_signature": False})["sid"]
    Redis.from_url(quiet_case.stack.app.config["REDIS_URL"]).set(KEY_PREFIX + sid, "logout", ex=600)
    deadline = time.monotonic() + 2.0
    while daughter.get(path).status_code != 401:
        assert time.monotonic() < deadline, "the ended session was still served"
        time.sleep(0.01)


def test_a_change_committed_by_another_process_shows_on_a_poll_soon_after(quiet_case):
    """A worker process commits a change and deletes the case's token in Redis; this process's
    copy drops the token on Redis's push, so the next poll is built afresh."""
    from redis import Redis
    from sqlalchemy import create_engine, text

    daughter, path, first = _kept_answer(quiet_case)
    _poll_until_free(daughter, path)
    app = quiet_case.stack.app
    matter_id = first.json()["matters"][0]["id"]
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # not this process's session: no hooks
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE matters SET reason = :r WHERE id = :id"), {"r": "另一进程的更新", "id": matter_id})
    finally:
        engine.dispose()
    Redis.from_url(app.config["REDIS_URL"]).delete(f"{app.config['RQ_QUEUE']}:case-ver:{quiet_case.case_id}")
    deadline = time.monotonic() + 2.0
    while True:
        shown = daughter.get(path, expect=200).json()
        if next(m for m in shown["matters"] if m["id"] == matter_id)["reason"] == "另一进程的更新":
            break
        assert time.monotonic() < deadline, "the change was not shown"
        time.sleep(0.01)


def test_an_ended_session_is_refused_even_while_its_case_answer_is_kept(quiet_case):
    daughter, path, _ = _kept_answer(quiet_case, needs_redis=False)
    daughter.post("/api/v1/auth/logout", expect=204)
    refused = daughter.get(path, expect=401).json()
    assert refused["code"] == "invalid_token" and quiet_case.people[0]["name"] not in str(refused)
