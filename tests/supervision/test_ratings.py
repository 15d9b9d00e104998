"""好差评: bound family members rate finished matters; 差评 opens a rectification item due in
15 working days that the supervisor of the area sees."""
import pytest

from tests.calendar.conftest import FICTIONAL_2027
from tests.helpers import Api
from tests.supervision.conftest import bind_family, run_scan, seed_case, shanghai, write_calendar_years

DONE = {"status": "done", "due_state": "scheduled", "due_at": shanghai("2025-09-10T23:59:59+08:00"),
        "dispatched_at": shanghai("2025-09-08T10:00:00+08:00"), "finished_at": shanghai("2025-09-09T10:00:00+08:00")}


def _rate(api: Api, seeded, code: str, body: dict, expect: int) -> dict:
    path = f"/api/v1/cases/{seeded.case_id}/matters/{seeded.matters[code]}/rating"
    return api.post(path, json=body, expect=expect).json()


def test_a_good_rating_is_recorded_once_per_member(supervision_stack, frozen_clock):
    frozen_clock(shanghai("2025-09-12T10:00:00+08:00"))
    seeded = seed_case(supervision_stack, matters={"hukou_cancellation": DONE})
    daughter = bind_family(supervision_stack, seeded)
    son = bind_family(supervision_stack, seeded, name="王强", role="member")

    rating = _rate(daughter, seeded, "hukou_cancellation", {"level": 5}, 201)
    assert (rating["level"], rating["level_name"], rating["comment"], rating["rectification"]) == (
        5, "非常满意", None, None)
    again = _rate(daughter, seeded, "hukou_cancellation", {"level": 4}, 409)
    assert again["code"] == "already_rated"
    assert _rate(son, seeded, "hukou_cancellation", {"level": 4, "comment": "办得很快"}, 201)["level_name"] == "满意"
    timeline = daughter.get(f"/api/v1/cases/{seeded.case_id}/timeline", expect=200).json()
    assert [e["kind"] for e in timeline] == ["matter_rated", "matter_rated"]
    assert daughter.get("/api/v1/me/messages", expect=200).json() == []  # not pushed


def test_a_bad_rating_opens_a_rectification_due_in_15_working_days(supervision_stack, frozen_clock):
    # Rated Monday 2025-09-15. Hand count on the 2025 notice (国庆中秋 10-01..10-08 off, make-up
    # Sunday 09-28 and Saturday 10-11): 1 09-16 … 4 09-19, 5 09-22 … 9 09-26, 10 09-28 (Sun),
    # 11 09-29, 12 09-30, 13 10-09, 14 10-10, 15 10-11 (Sat).
    frozen_clock(shanghai("2025-09-15T10:00:00+08:00"))
    seeded = seed_case(supervision_stack, hukou="430104", matters={"housing_fund_withdrawal": DONE})
    daughter = bind_family(supervision_stack, seeded)
    comment = "等了很久没人联系，电话13800000000"
    rating = _rate(daughter, seeded, "housing_fund_withdrawal", {"level": 2, "comment": comment}, 201)
    # Every answer masks long numbers in a comment, the author's own too (issue 6).
    assert rating["level_name"] == "不满意" and rating["comment"] == "等了很久没人联系，电话138******00"
    item = rating["rectification"]
    assert (item["status"], item["due_state"], item["due_at"]) == ("open", "scheduled", "2025-10-11T23:59:59+08:00")
    assert item["deadline_rule"] == "15个工作日（不含起算日，至最后一日24时止）"

    supervisor = Api(supervision_stack.base_url).as_staff("t.supervisor.cs")
    listed = [r for r in supervisor.get("/api/v1/supervision/rectifications", expect=200).json()
              if r["id"] == item["id"]]
    assert len(listed) == 1
    row = listed[0]
    assert (row["matter_name"], row["department"], row["overdue"]) == ("住房公积金提取", "housing_fund", False)
    assert row["rating"]["level_name"] == "不满意"
    assert "13800000000" not in row["rating"]["comment"] and row["rating"]["comment"].startswith("等了很久")
    zhuzhou = Api(supervision_stack.base_url).as_staff("t.supervisor.zz")
    assert not any(r["id"] == item["id"] for r in zhuzhou.get("/api/v1/supervision/rectifications?status=all",
                                                             expect=200).json())
    frozen_clock(shanghai("2025-10-12T09:00:00+08:00"))
    supervisor = Api(supervision_stack.base_url).as_staff("t.supervisor.cs")
    late = next(r for r in supervisor.get("/api/v1/supervision/rectifications", expect=200).json()
                if r["id"] == item["id"])
    assert late["overdue"] is True


def test_very_dissatisfied_in_an_unknown_year_waits_for_the_calendar(supervision_stack, frozen_clock):
    frozen_clock(shanghai("2026-12-21T10:00:00+08:00"))  # 15 working days reach into 2027
    seeded = seed_case(supervision_stack, matters={"medical_insurance_reduction": DONE})
    daughter = bind_family(supervision_stack, seeded)
    item = _rate(daughter, seeded, "medical_insurance_reduction", {"level": 1}, 201)["rectification"]
    assert (item["due_state"], item["due_at"]) == ("pending_calendar", None)

    write_calendar_years(supervision_stack, {"2027": FICTIONAL_2027}, bump_seconds=3)
    try:
        assert run_scan(supervision_stack)["rectifications_recomputed"] >= 1
    finally:
        write_calendar_years(supervision_stack, {}, bump_seconds=4)
    supervisor = Api(supervision_stack.base_url).as_staff("t.admin")
    row = next(r for r in supervisor.get("/api/v1/supervision/rectifications", expect=200).json()
               if r["id"] == item["id"])
    # 12-22 … 12-31: 8 working days; FICTIONAL 2027: 01-01 off, 9 01-04 … 13 01-08, 14 01-09 (Sat), 15 01-11.
    assert (row["due_state"], row["due_at"]) == ("scheduled", "2027-01-11T23:59:59+08:00")


def test_an_unfinished_matter_cannot_be_rated_yet(supervision_stack):
    seeded = seed_case(supervision_stack, matters={"driving_licence_cancellation": {"status": "accepted"}})
    daughter = bind_family(supervision_stack, seeded)
    assert _rate(daughter, seeded, "driving_licence_cancellation", {"level": 3}, 409)["code"] == "matter_not_finished"


def test_only_a_bound_family_member_rates(supervision_stack):
    seeded = seed_case(supervision_stack, matters={"hukou_cancellation": DONE})
    other = seed_case(supervision_stack, matters={"hukou_cancellation": DONE})
    stranger = bind_family(supervision_stack, other)
    _rate(stranger, seeded, "hukou_cancellation", {"level": 1}, 404)
    clerk = Api(supervision_stack.base_url).as_staff("clerk.cs")
    _rate(clerk, seeded, "hukou_cancellation", {"level": 1}, 403)
    # A matter of another case under this case's id is not found either.
    daughter = bind_family(supervision_stack, seeded)
    path = f"/api/v1/cases/{seeded.case_id}/matters/{other.matters['hukou_cancellation']}/rating"
    daughter.post(path, json={"level": 5}, expect=404)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"level": 6}, "level"), ({"level": 0}, "level"), ({"level": "5"}, "level"), ({}, "level"),
     ({"level": 5, "comment": "很" * 201}, "comment"), ({"level": 5, "extra": 1}, "extra")],
)
def test_bad_rating_bodies_are_refused_in_the_one_error_shape(supervision_stack, body, field):
    seeded = seed_case(supervision_stack, matters={"hukou_cancellation": DONE})
    daughter = bind_family(supervision_stack, seeded)
    answer = _rate(daughter, seeded, "hukou_cancellation", body, 422)
    assert set(answer) == {"code", "message", "errors"} and field in answer["errors"]
