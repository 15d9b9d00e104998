"""``GET /api/v1/catalogue/matters/{code}/deadline`` and the catalogue's ``deadline_text``."""
import json

import pytest

from app import create_app
from app.config import load_config
from tests.conftest import TEST_SECRETS


@pytest.fixture
def client(tmp_path):
    """The app with its own calendar override file that lacks 2027 (as the shipped one does today)."""
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({"years": {}}), encoding="utf-8")
    app = create_app(load_config({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}", "SANDBOX": "1",
        "JWT_SECRET": TEST_SECRETS["JWT_SECRET"], "QR_SECRET": TEST_SECRETS["QR_SECRET"],
        "CALENDAR_OVERRIDES_PATH": str(overrides), "UPLOAD_DIR": str(tmp_path / "uploads"),
    }))
    return app.test_client()


@pytest.mark.parametrize(
    ("code", "start", "expected"),
    [
        # SPEC §11: applied Saturday 2026-01-31; 30 working days over the Spring Festival → 03-19.
        ("driving_licence_cancellation", "2026-01-31T10:00:00+08:00",
         {"state": "scheduled", "due_at": "2026-03-19T23:59:59+08:00", "effective_date": None,
          "rule_text": "30个工作日（不含起算日，至最后一日24时止）"}),
        # Given in UTC just after midnight Shanghai: Monday 02-02 is the (uncounted) start day.
        ("hukou_cancellation", "2026-02-01T16:30:00Z",
         {"state": "scheduled", "due_at": "2026-02-04T23:59:59+08:00", "effective_date": None,
          "rule_text": "2个工作日（不含起算日，至最后一日24时止）"}),
        ("housing_fund_withdrawal", "2026-10-10T09:00:00+08:00",  # make-up Saturday: that day
         {"state": "scheduled", "due_at": "2026-10-10T23:59:59+08:00", "effective_date": None}),
        ("cremation_certificate", "2026-01-31T22:30:00+08:00",
         {"state": "scheduled", "due_at": "2026-02-01T02:30:00+08:00", "rule_text": "4小时内"}),
        ("elderly_subsidy_termination", "2026-01-30T23:40:00+08:00",
         {"state": "scheduled", "due_at": "2026-02-01T00:00:00+08:00", "effective_date": "2026-02-01"}),
        ("pension_account_payout", "2026-01-31T10:00:00+08:00",
         {"state": "no_fixed_deadline", "due_at": None, "rule_text": "按人社部门业务规定时限办结"}),
        # 30 working days from December 2026 need 2027: an answer, not an error.
        ("driving_licence_cancellation", "2026-12-01T10:00:00+08:00",
         {"state": "pending_calendar", "due_at": None, "effective_date": None}),
    ],
)
def test_deadline_for_a_clock_started_then(client, code, start, expected):
    response = client.get(f"/api/v1/catalogue/matters/{code}/deadline", query_string={"start": start})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["code"] == code
    assert {key: body[key] for key in expected} == expected


@pytest.mark.parametrize("start", ["2026-01-31T10:00:00", "2026-01-31", "tomorrow", "", None])
def test_a_start_without_offset_or_not_a_time_is_refused(client, start):
    query = {} if start is None else {"start": start}
    response = client.get("/api/v1/catalogue/matters/hukou_cancellation/deadline", query_string=query)
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == {"code", "message", "errors"} and "start" in body["errors"]


def test_an_unknown_matter_is_not_found(client):
    response = client.get("/api/v1/catalogue/matters/no_such_matter/deadline",
                          query_string={"start": "2026-01-31T10:00:00+08:00"})
    assert response.status_code == 404
    assert set(response.get_json()) == {"code", "message", "errors"}


def test_catalogue_lists_each_deadline_in_words(client):
    matters = {m["code"]: m for m in client.get("/api/v1/catalogue/matters").get_json()}
    assert matters["hukou_cancellation"]["deadline_text"] == "2个工作日（不含起算日，至最后一日24时止）"
    assert matters["housing_fund_withdrawal"]["deadline_text"].startswith("当个工作日办结")
    assert matters["dibao_termination"]["deadline_text"] == "次月起终止（自次月1日起）"
    assert all(m["deadline_text"] for m in matters.values())
