"""SPEC §11 end to end: window, QR, family, departments, done — on both stacks."""
from datetime import datetime

import pytest

from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example

EXPECTED_MATTERS = {
    "death_certificate", "cremation_certificate", "hukou_cancellation", "driving_licence_cancellation",
    "medical_insurance_reduction", "medical_account_withdrawal", "pension_account_payout", "funeral_subsidy",
    "survivor_benefit", "housing_fund_withdrawal", "elderly_subsidy_termination",
}
PAYOUTS = {"medical_account_withdrawal", "pension_account_payout", "funeral_subsidy", "survivor_benefit",
           "housing_fund_withdrawal"}


def file_at_window(stack, form) -> tuple[Api, dict]:
    clerk = Api(stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    return clerk, case


def test_clerk_files_worked_example_and_every_matter_finishes(stack):
    form = fresh_worked_example()
    clerk, case = file_at_window(stack, form)
    assert case["status"] in {"accepted", "in_progress"}
    assert {m["code"] for m in case["matters"]} == EXPECTED_MATTERS

    token = clerk.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]
    assert len(token) <= 32
    daughter = Api(stack.base_url).as_applicant(form)
    preview = daughter.post("/api/v1/scan", json={"token": token}, expect=200).json()
    assert preview == {"kind": "case", "window_name": "长沙市殡仪馆身后“一件事一次办”窗口", "deceased_masked_name": "王**"}
    bound = daughter.post("/api/v1/scan/bind", json={"token": token}, expect=200).json()
    assert bound == {"case_id": case["id"], "membership": "applicant"}

    done = daughter.wait_for_case(case["id"], all_final, timeout=90)
    matters = {m["code"]: m for m in done["matters"]}
    assert all(m["status"] == "done" for m in matters.values())
    assert matters["elderly_subsidy_termination"]["effective_date"] == "2026-02-01"
    for code in PAYOUTS:
        outcome = matters[code]["outcome"]
        assert outcome["payout_amount_fen"] > 0 and outcome["currency"] == "CNY"
        assert "****" in outcome["payout_account"]
    assert daughter.get("/api/v1/me/cases", expect=200).json()[0]["id"] == case["id"]

    timeline = daughter.get(f"/api/v1/cases/{case['id']}/timeline", expect=200).json()
    kinds = [e["kind"] for e in timeline]
    # The daughter may bind before or after the departments finish (both are fast in the sandbox).
    progress = [k for k in kinds if k not in {"member_bound", "join_requested"}]
    assert progress[0] == "case_submitted" and progress[-1] == "case_completed"
    assert kinds.count("matter_done") == len(EXPECTED_MATTERS)
    # The death certificate is done before anything that waits for it is dispatched.
    first_done = next(e for e in timeline if e["kind"] == "matter_done")
    assert first_done["matter_id"] == matters["death_certificate"]["id"]
    inbox = daughter.get("/api/v1/me/messages", expect=200).json()
    assert any(m["title"] == "全部事项已办结" for m in inbox)
    assert not any(form["deceased"]["id_number"] in m["body"] or form["applicant"]["phone"] in m["body"] for m in inbox)


def test_family_applies_from_phone_and_reaches_the_same_end(stack):
    form = fresh_worked_example()
    clerk = Api(stack.base_url).as_staff()
    intake = clerk.get("/api/v1/windows/cs-funeral-home/qrcode?format=json", expect=200).json()["token"]
    daughter = Api(stack.base_url).as_applicant(form)
    assert daughter.post("/api/v1/scan", json={"token": intake}, expect=200).json()["kind"] == "window"

    case = daughter.post("/api/v1/cases", json={**form, "intake_token": intake}, expect=201).json()
    # Filed as submitted; the answer is read after the commit, when the background acceptance
    # job may already have run (it often has on the embedded runner).
    assert case["status"] in {"submitted", "accepted", "in_progress"} and case["channel"] == "app"
    assert any(e["kind"] == "case_submitted" for e in daughter.get(f"/api/v1/cases/{case['id']}/timeline",
                                                                   expect=200).json())
    # Accepted by the background job; the hukou waits for the originals at the window (附件2 注4).
    case = daughter.wait_for_case(
        case["id"], lambda c: all(m["status"] != "waiting" or m["code"] == "hukou_cancellation" for m in c["matters"])
        and c["status"] in {"accepted", "in_progress"}, timeout=60)
    hukou = next(m for m in case["matters"] if m["code"] == "hukou_cancellation")
    assert hukou["status"] == "waiting"
    assert {w["code"] for w in hukou["waiting_for"]} == set(HUKOU_MATERIALS)

    for kind in HUKOU_MATERIALS:
        clerk.post(f"/api/v1/cases/{case['id']}/materials", json={"kind": kind}, expect=200)
    done = daughter.wait_for_case(case["id"], all_final, timeout=90)
    assert {m["code"] for m in done["matters"]} == EXPECTED_MATTERS
    assert all(m["status"] == "done" for m in done["matters"])
    effective = next(m for m in done["matters"] if m["code"] == "elderly_subsidy_termination")["effective_date"]
    assert effective == "2026-02-01"


def test_worked_example_deadlines_count_working_days_across_spring_festival(embedded_stack, frozen_clock):
    """Filed on Saturday 2026-01-31 (SPEC §11): clocks count from the next working day and the
    2026 Spring Festival holiday falls inside the 15- and 30-working-day windows."""
    embedded_stack.wait_idle()
    frozen_clock(datetime.fromisoformat("2026-01-31T09:30:00+08:00"))
    form = fresh_worked_example()
    clerk, case = file_at_window(embedded_stack, form)
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    due = {m["code"]: m["due_at"] for m in done["matters"]}
    assert due["death_certificate"] == "2026-02-02T23:59:59+08:00"
    assert due["hukou_cancellation"] == "2026-02-03T23:59:59+08:00"
    assert due["medical_insurance_reduction"] == "2026-02-06T23:59:59+08:00"
    assert due["medical_account_withdrawal"] == "2026-02-27T23:59:59+08:00"
    assert due["driving_licence_cancellation"] == "2026-03-19T23:59:59+08:00"
    assert due["housing_fund_withdrawal"] == "2026-02-02T23:59:59+08:00"
    # Cremation: 4 hours after the funeral home reports the cremation (sandbox: at once).
    assert due["cremation_certificate"] == "2026-01-31T13:30:00+08:00"
    assert due["pension_account_payout"] is None
    assert {m["code"]: m["due_state"] for m in done["matters"]}["pension_account_payout"] == "no_fixed_deadline"
