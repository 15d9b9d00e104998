"""The live case view: ETag / If-None-Match on the case, and a long-poll that a new event ends."""
import threading

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
