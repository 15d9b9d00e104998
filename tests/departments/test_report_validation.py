"""Reports that cannot be true are refused with the field named: money, accounts, dates, reasons."""
import time

import pytest

from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example, matter, scenario, send_callback


@pytest.fixture
def quiet_case(embedded_stack):
    """Death certificate done; housing fund, cremation and elderly-subsidy matters received and
    left unanswered by their sandbox departments."""
    form = fresh_worked_example(requested_matters=["death_certificate", "cremation_certificate",
                                                   "housing_fund_withdrawal"])
    for department in ("housing_fund", "funeral_home", "civil_affairs"):
        scenario(embedded_stack, department, "silent", deceased_id_number=form["deceased"]["id_number"])
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    case = clerk.wait_for_case(case["id"], lambda c: all(
        m["status"] in {"dispatched", "done"} for m in c["matters"]))
    return form, {m["code"]: m["id"] for m in case["matters"]}


def _refused(stack, department, report, field):
    response = send_callback(stack, department, report)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"], response.json()


def test_payout_reports_are_checked(embedded_stack, quiet_case):
    form, ids = quiet_case
    housing = ids["housing_fund_withdrawal"]
    own_account = form["deceased"]["bank_account"]["account_number"]
    for outcome, field in [
        ({"payout_amount_fen": 10**30, "payout_account": own_account}, "outcome.payout_amount_fen"),
        ({"payout_amount_fen": 12345.67, "payout_account": own_account}, "outcome.payout_amount_fen"),
        ({"payout_amount_fen": 100, "payout_account": "9999888877776666"}, "outcome.payout_account"),
        ({"payout_amount_fen": 100, "payout_account": own_account + "\n"}, "outcome.payout_account"),
        ({"certificate_reference": "X"}, "outcome.payout_amount_fen"),
    ]:
        _refused(embedded_stack, "housing_fund", {"matter_id": housing, "status": "done", "outcome": outcome}, field)
    _refused(embedded_stack, "funeral_home", {"matter_id": ids["cremation_certificate"], "status": "done",
                                              "outcome": {"payout_amount_fen": 100}}, "outcome.payout_amount_fen")
    ok = send_callback(embedded_stack, "housing_fund", {"matter_id": housing, "status": "done",
                                                        "outcome": {"payout_amount_fen": 100, "payout_account": own_account}})
    assert ok.status_code == 200 and ok.json()["applied"] is True


def test_dates_in_reports_are_checked(embedded_stack, quiet_case):
    _, ids = quiet_case
    cremation, elderly = ids["cremation_certificate"], ids["elderly_subsidy_termination"]
    _refused(embedded_stack, "funeral_home", {"matter_id": cremation, "status": "accepted",
                                              "events": {"cremated_at": "yesterday"}}, "events.cremated_at")
    _refused(embedded_stack, "funeral_home", {"matter_id": cremation, "status": "accepted",
                                              "events": {"cremated_at": "2099-01-01T10:00:00+08:00"}}, "events.cremated_at")
    _refused(embedded_stack, "funeral_home", {"matter_id": cremation, "status": "accepted",
                                              "events": {"cremated_at": "2020-01-01T10:00:00+08:00"}}, "events.cremated_at")
    _refused(embedded_stack, "civil_affairs", {"matter_id": elderly, "status": "done",
                                               "outcome": {"effective_date": "2026-13-45"}}, "outcome.effective_date")
    _refused(embedded_stack, "civil_affairs", {"matter_id": elderly, "status": "done",
                                               "outcome": {"effective_date": "2030-05-05"}}, "outcome.effective_date")


def test_blank_reasons_are_refused(embedded_stack, quiet_case):
    _, ids = quiet_case
    _refused(embedded_stack, "housing_fund", {"matter_id": ids["housing_fund_withdrawal"], "status": "rejected",
                                              "reason": "   "}, "reason")
