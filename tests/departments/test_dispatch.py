"""Every matter reaches its department exactly once, through outages and business refusals."""
import pytest

from tests.helpers import (HUKOU_MATERIALS, Api, all_final, fresh_worked_example, matter, scenario,
                           send_callback)


def _file(stack, form):
    clerk = Api(stack.base_url).as_staff()
    return clerk, clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()


def _applied(stack, matter_id):
    with stack.app.app_context():
        from app.sandbox.service import count_applied

        return count_applied(matter_id=matter_id)


def test_department_outage_is_retried_until_it_recovers(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "housing_fund_withdrawal"])
    scenario(stack, "housing_fund", "http_503", deceased_id_number=form["deceased"]["id_number"], remaining=3)
    clerk, case = _file(stack, form)
    done = clerk.wait_for_case(case["id"], all_final, timeout=90)
    housing = matter(done, "housing_fund_withdrawal")
    assert housing["status"] == "done"
    assert list(_applied(stack, housing["id"]).values()) == [1]


def test_client_error_is_not_retried_and_can_be_redriven_by_an_admin(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "housing_fund_withdrawal"])
    scenario(stack, "housing_fund", "http_400", deceased_id_number=form["deceased"]["id_number"], remaining=1,
             reason="报文缺少必填字段")
    clerk, case = _file(stack, form)
    failed = clerk.wait_for_case(
        case["id"], lambda c: matter(c, "housing_fund_withdrawal")["dispatch_state"] == "failed", timeout=60)
    housing = matter(failed, "housing_fund_withdrawal")
    admin = Api(stack.base_url).as_staff("admin.hn")
    letters = admin.get("/api/v1/admin/dead-letters", expect=200).json()
    letter = next(l for l in letters if l["id"] == housing["id"])
    assert letter["dispatch_tries"] == 1 and letter["dispatch_error"] == "报文缺少必填字段"
    clerk.get("/api/v1/admin/dead-letters", expect=403)

    admin.post(f"/api/v1/admin/matters/{housing['id']}/redrive", expect=200)
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    assert matter(done, "housing_fund_withdrawal")["status"] == "done"


def test_timeout_after_receipt_is_resolved_by_asking_before_sending_again(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "driving_licence_cancellation"])
    scenario(embedded_stack, "police_traffic", "timeout_after_receipt",
             deceased_id_number=form["deceased"]["id_number"], remaining=1)
    clerk, case = _file(embedded_stack, form)
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    licence = matter(done, "driving_licence_cancellation")
    assert licence["status"] == "done"
    assert list(_applied(embedded_stack, licence["id"]).values()) == [1]


def test_rejection_then_correction_then_resubmission_reaches_done(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "medical_insurance_reduction",
                                                   "medical_account_withdrawal"])
    scenario(stack, "medical_security", "reject", matter_code="medical_account_withdrawal",
             deceased_id_number=form["deceased"]["id_number"], remaining=1,
             reason="社保卡账户与逝者身份不符，请核对社保卡账号")
    # Filed from the phone, so the daughter is bound before any department answers.
    daughter = Api(stack.base_url).as_applicant(form)
    case = daughter.post("/api/v1/cases", json=form, expect=201).json()
    rejected = daughter.wait_for_case(
        case["id"], lambda c: matter(c, "medical_account_withdrawal")["status"] == "rejected", timeout=60)
    assert matter(rejected, "medical_account_withdrawal")["reason"] == "社保卡账户与逝者身份不符，请核对社保卡账号"
    inbox = daughter.get("/api/v1/me/messages", expect=200).json()
    assert any("请核对社保卡账号" in m["body"] for m in inbox)

    bad = daughter.post(f"/api/v1/cases/{case['id']}/corrections",
                        json={"deceased": {"social_security_card": {"bank_name": "示例银行", "account_number": "12ab"}}})
    assert bad.status_code == 422
    daughter.post(f"/api/v1/cases/{case['id']}/corrections", expect=200, json={
        "deceased": {"social_security_card": {"bank_name": "示例银行长沙分行", "account_number": "6200000000000000033"}}})
    done = daughter.wait_for_case(case["id"], all_final, timeout=60)
    withdrawal = matter(done, "medical_account_withdrawal")
    assert withdrawal["status"] == "done" and withdrawal["outcome"]["payout_account"].endswith("0033")
    assert sorted(_applied(stack, withdrawal["id"])) == [f"{withdrawal['id']}.0", f"{withdrawal['id']}.1"]


def test_a_stranger_cannot_correct_someone_elses_case(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate"])
    _, case = _file(embedded_stack, form)
    stranger = Api(embedded_stack.base_url).as_family(name="陈路人", id_number="430104199001010018", phone="13900000000")
    body = {"applicant": {"phone": "13900000001"}}
    assert stranger.post(f"/api/v1/cases/{case['id']}/corrections", json=body).status_code == 404


def test_housing_fund_loan_blocks_until_the_family_resubmits(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "housing_fund_withdrawal"])
    scenario(stack, "housing_fund", "reject", deceased_id_number=form["deceased"]["id_number"], remaining=1,
             reason="逝者有未结清的住房公积金贷款，请先结清贷款后再申请提取（附件2 注3）")
    clerk, case = _file(stack, form)
    rejected = clerk.wait_for_case(
        case["id"], lambda c: matter(c, "housing_fund_withdrawal")["status"] == "rejected", timeout=60)
    assert rejected["status"] != "completed"
    housing_id = matter(rejected, "housing_fund_withdrawal")["id"]
    clerk.post(f"/api/v1/cases/{case['id']}/matters/{housing_id}/resubmit", expect=200)
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    assert matter(done, "housing_fund_withdrawal")["status"] == "done"


def test_no_licence_on_record_closes_the_licence_matter_as_not_applicable(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "driving_licence_cancellation"])
    scenario(stack, "police_traffic", "not_applicable", deceased_id_number=form["deceased"]["id_number"],
             reason="经查询，逝者无本省核发的机动车驾驶证")
    clerk, case = _file(stack, form)
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    licence = matter(done, "driving_licence_cancellation")
    assert licence["status"] == "not_applicable" and "无本省核发" in licence["reason"]


def test_over_credited_medical_account_gates_pension_and_funeral_subsidy(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "medical_insurance_reduction",
                                                   "pension_account_payout", "funeral_subsidy"])
    scenario(stack, "medical_security", "refund_required", matter_code="medical_insurance_reduction",
             deceased_id_number=form["deceased"]["id_number"], amount_fen=23_456)
    clerk, case = _file(stack, form)
    gated = clerk.wait_for_case(
        case["id"], lambda c: matter(c, "medical_insurance_reduction")["status"] == "done", timeout=60)
    for code in ("pension_account_payout", "funeral_subsidy"):
        assert matter(gated, code)["status"] == "waiting"
        assert [w["code"] for w in matter(gated, code)["waiting_for"]] == ["medical_refund_settled"]
    reduction = matter(gated, "medical_insurance_reduction")
    assert reduction["outcome"]["refund_required_fen"] == 23_456
    send_callback(stack, "medical_security", {"matter_id": reduction["id"], "status": "done",
                                              "events": {"refund_settled": True}})
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    assert all(m["status"] == "done" for m in done["matters"])


@pytest.mark.parametrize("behaviour", ["duplicate_callbacks", "out_of_order"])
def test_duplicate_and_out_of_order_callbacks_change_state_once(stack, behaviour):
    form = fresh_worked_example(requested_matters=["death_certificate", "hukou_cancellation"])
    scenario(stack, "police_household", behaviour, deceased_id_number=form["deceased"]["id_number"])
    clerk, case = _file(stack, form)
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    hukou = matter(done, "hukou_cancellation")
    timeline = clerk.get(f"/api/v1/cases/{case['id']}/timeline", expect=200).json()
    assert [e["kind"] for e in timeline if e["matter_id"] == hukou["id"]].count("matter_done") == 1


def test_workbench_officer_sees_and_finishes_only_their_department_and_county(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "housing_fund_withdrawal"])
    scenario(stack, "housing_fund", "silent", deceased_id_number=form["deceased"]["id_number"])
    clerk, case = _file(stack, form)
    clerk.wait_for_case(case["id"], lambda c: matter(c, "housing_fund_withdrawal")["status"] == "dispatched")
    officer = Api(stack.base_url).as_staff("officer.housing.cs")
    listed = officer.get("/api/v1/workbench/matters", expect=200).json()
    item = next(m for m in listed if m["case_id"] == case["id"])
    assert item["deceased_id_number"].startswith("4301") and "*" in item["deceased_id_number"]
    other_county = Api(stack.base_url).as_staff("officer.hrss.zz")
    assert other_county.post(f"/api/v1/workbench/matters/{item['id']}/report", json={"status": "accepted"}).status_code == 404

    assert officer.post(f"/api/v1/workbench/matters/{item['id']}/report", json={"status": "rejected"}).status_code == 422
    officer.post(f"/api/v1/workbench/matters/{item['id']}/report", json={"status": "accepted"}, expect=200)
    officer.post(f"/api/v1/workbench/matters/{item['id']}/report", expect=200, json={
        "status": "done", "outcome": {"payout_amount_fen": 1_234_500, "payout_account": "6200000000000000017"}})
    done = clerk.wait_for_case(case["id"], all_final, timeout=30)
    assert matter(done, "housing_fund_withdrawal")["outcome"]["payout_amount_fen"] == 1_234_500
