"""Signed callbacks (issue 3 §4): only valid reports change state, each exactly once."""
import time

import pytest

from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example, matter, scenario, send_callback


@pytest.fixture
def quiet_matter(embedded_stack):
    """A case whose death-certificate matter the sandbox hospital received but never reports on."""
    form = fresh_worked_example(requested_matters=["death_certificate"])
    scenario(embedded_stack, "health", "silent", deceased_id_number=form["deceased"]["id_number"])
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    case = clerk.wait_for_case(case["id"], lambda c: matter(c, "death_certificate")["status"] == "dispatched")
    return clerk, case, matter(case, "death_certificate")["id"]


def _status(clerk, case_id):
    return matter(clerk.get(f"/api/v1/cases/{case_id}", expect=200).json(), "death_certificate")["status"]


def test_only_correctly_signed_fresh_callbacks_change_state(embedded_stack, quiet_matter):
    clerk, case, matter_id = quiet_matter
    accepted = {"matter_id": matter_id, "status": "accepted"}
    refused = [
        send_callback(embedded_stack, "health", accepted, body=b'{"matter_id": "%s", "status": "done"}' % matter_id.encode()),
        send_callback(embedded_stack, "health", accepted, timestamp=int(time.time()) - 301),
        send_callback(embedded_stack, "health", accepted, timestamp=int(time.time()) + 301),
        send_callback(embedded_stack, "health", accepted, secret="not-the-secret"),
        send_callback(embedded_stack, "health", accepted, drop="X-Signature"),
        send_callback(embedded_stack, "health", accepted, drop="X-Timestamp"),
        send_callback(embedded_stack, "health", accepted, drop="X-Delivery-Id"),
        send_callback(embedded_stack, "police_household", accepted),  # another department's matter
    ]
    assert [r.status_code for r in refused] == [401] * 7 + [404]
    assert all(set(r.json()) == {"code", "message", "errors"} for r in refused)
    assert _status(clerk, case["id"]) == "dispatched"

    first = send_callback(embedded_stack, "health", accepted, delivery_id="delivery-accepted-1")
    assert first.status_code == 200 and first.json() == {"applied": True, "duplicate": False}
    assert _status(clerk, case["id"]) == "accepted"


def test_replayed_delivery_answers_2xx_and_changes_nothing(embedded_stack, quiet_matter):
    clerk, case, matter_id = quiet_matter
    done = {"matter_id": matter_id, "status": "done", "outcome": {"certificate_reference": "TEST-CERT-1"}}
    assert send_callback(embedded_stack, "health", done, delivery_id="replay-1").json()["applied"] is True
    replay = send_callback(embedded_stack, "health", done, delivery_id="replay-1")
    assert replay.status_code == 200 and replay.json() == {"applied": False, "duplicate": True}
    again = send_callback(embedded_stack, "health", {**done, "outcome": {"certificate_reference": "OTHER"}})
    assert again.json() == {"applied": False, "duplicate": False}
    timeline = clerk.get(f"/api/v1/cases/{case['id']}/timeline", expect=200).json()
    assert [e["kind"] for e in timeline if e["matter_id"] == matter_id].count("matter_done") == 1
    final = matter(clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json(), "death_certificate")
    assert final["outcome"]["certificate_reference"] == "TEST-CERT-1"


def test_done_before_accepted_is_applied_and_late_accepted_ignored(embedded_stack, quiet_matter):
    clerk, case, matter_id = quiet_matter
    assert send_callback(embedded_stack, "health", {"matter_id": matter_id, "status": "done"}).json()["applied"]
    late = send_callback(embedded_stack, "health", {"matter_id": matter_id, "status": "accepted"})
    assert late.status_code == 200 and late.json()["applied"] is False
    assert _status(clerk, case["id"]) == "done"


def test_old_secret_still_verifies_during_rotation(embedded_stack, quiet_matter):
    clerk, case, matter_id = quiet_matter
    secrets = embedded_stack.app.config["DEPARTMENT_CALLBACK_SECRETS"]
    old = secrets["health"]
    secrets["health"] = ["rotated-new-secret-0123456789abcdef", *old]
    try:
        response = send_callback(embedded_stack, "health", {"matter_id": matter_id, "status": "accepted"}, secret=old[0])
        assert response.json()["applied"] is True
        stranger = send_callback(embedded_stack, "health", {"matter_id": matter_id, "status": "done"},
                                 secret="retired-long-ago-0123456789abcdef")
        assert stranger.status_code == 401
    finally:
        secrets["health"] = old
    assert _status(clerk, case["id"]) == "accepted"


def test_rejection_without_reason_is_refused(embedded_stack, quiet_matter):
    clerk, case, matter_id = quiet_matter
    response = send_callback(embedded_stack, "health", {"matter_id": matter_id, "status": "rejected"})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    assert _status(clerk, case["id"]) == "dispatched"
