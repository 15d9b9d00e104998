"""A case filed on the phone without a window can still finish: the family shows its QR code at
any window, the clerk links the case and records the originals (附件2 注4)."""
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example, matter


def test_phone_case_without_a_window_is_claimed_at_the_counter_and_finishes(stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "hukou_cancellation"])
    daughter = Api(stack.base_url).as_applicant(form)
    case = daughter.post("/api/v1/cases", json=form, expect=201).json()
    case = daughter.wait_for_case(case["id"], lambda c: c["status"] in {"accepted", "in_progress"})
    assert case["window_id"] is None
    token = daughter.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]

    clerk = Api(stack.base_url).as_staff()
    assert clerk.get(f"/api/v1/cases/{case['id']}").status_code == 404  # not the clerk's case yet
    claimed = clerk.post("/api/v1/windows/cs-funeral-home/claims", json={"token": token}, expect=200).json()
    assert claimed["window_id"] == "cs-funeral-home"
    for kind in HUKOU_MATERIALS:
        clerk.post(f"/api/v1/cases/{case['id']}/materials", json={"kind": kind}, expect=200)
    done = daughter.wait_for_case(case["id"], all_final, timeout=60)
    assert matter(done, "hukou_cancellation")["status"] == "done"

    other = Api(stack.base_url).as_staff("clerk.yuelu")
    assert other.post("/api/v1/windows/yuelu-service-centre/claims", json={"token": token}).status_code == 409
    assert other.post("/api/v1/windows/cs-funeral-home/claims", json={"token": token}).status_code == 404


def test_applicant_binding_late_is_told_what_waits_for_them(embedded_stack):
    from tests.helpers import scenario

    form = fresh_worked_example(requested_matters=["death_certificate", "housing_fund_withdrawal"])
    scenario(embedded_stack, "housing_fund", "reject", deceased_id_number=form["deceased"]["id_number"],
             reason="请核对银行账号")
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    clerk.wait_for_case(case["id"], lambda c: matter(c, "housing_fund_withdrawal")["status"] == "rejected")
    token = clerk.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]
    daughter = Api(embedded_stack.base_url).as_applicant(form)
    daughter.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    inbox = daughter.get("/api/v1/me/messages", expect=200).json()
    assert any("需要您补充或更正" in m["body"] for m in inbox if m["case_id"] == case["id"])


def test_applicant_binding_after_everything_finished_is_told_it_is_done(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate"])
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    clerk.wait_for_case(case["id"], all_final)
    token = clerk.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]
    daughter = Api(embedded_stack.base_url).as_applicant(form)
    daughter.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    inbox = [m for m in daughter.get("/api/v1/me/messages", expect=200).json() if m["case_id"] == case["id"]]
    assert [m["title"] for m in inbox].count("全部事项已办结") == 1
