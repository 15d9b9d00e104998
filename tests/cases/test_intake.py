"""A paper application at the window: accepted with materials missing (容缺受理), the family
asked in the app to supply them (补正), and the case completing once they arrive."""
from tests.helpers import Api, all_final, fresh_worked_example
from tests.materials import files
from tests.materials.support import bind_applicant, file_at_window, item, matter, upload

SHAPE = {"code", "message", "errors"}
FAMILY_SUPPLIES = ["deceased_id_card_clipped_scan", "hukou_page_clipped_scan", "originals_handed_in",
                   "applicant_id_card", "social_security_card"]


def test_accepted_with_materials_missing_then_supplied_after_a_request_then_completed(stack):
    # Three matters that between them need every material the family supplies (二(二)).
    form = fresh_worked_example(circumstances__welfare=[],
                                requested_matters=["death_certificate", "hukou_cancellation", "pension_account_payout"])
    clerk, case = file_at_window(stack, form, paper_form_received=True)
    assert case["status"] in {"accepted", "in_progress"} and case["channel"] == "window"
    timeline = clerk.get(f"/api/v1/cases/{case['id']}/timeline", expect=200).json()
    accepted = next(e for e in timeline if e["kind"] == "accepted_with_missing_materials")
    assert "容缺受理" in accepted["summary"] and "已剪角的死亡人员身份证扫描件" in accepted["summary"]

    materials = clerk.get(f"/api/v1/cases/{case['id']}/materials", expect=200).json()
    paper = item(materials, "application_form")
    assert paper["required"] is True and paper["received"] is True
    assert materials["missing"] == FAMILY_SUPPLIES
    assert item(materials, "bank_account")["received"] is True
    assert item(materials, "death_certificate")["required"] and "death_certificate" not in materials["missing"]

    daughter = bind_applicant(stack, clerk, case, form)
    request = clerk.post(f"/api/v1/cases/{case['id']}/supplement-requests",
                         json={"note": "原件请在工作日带到殡仪馆窗口"}, expect=201).json()
    assert request["materials"] == FAMILY_SUPPLIES and request["completed_at"] is None
    asked = next(m for m in daughter.get("/api/v1/me/messages", expect=200).json() if m["title"] == "请补充材料")
    assert "申请人身份证" in asked["body"] and "原件请在工作日带到殡仪馆窗口" in asked["body"]
    seen = daughter.get(f"/api/v1/cases/{case['id']}/materials", expect=200).json()
    assert all(item(seen, code)["requested"] for code in FAMILY_SUPPLIES)
    assert [r["id"] for r in seen["open_requests"]] == [request["id"]]

    upload(daughter, case["id"], "deceased_id_card_clipped", files.jpeg())
    upload(daughter, case["id"], "hukou_page_clipped", files.jpeg())
    upload(daughter, case["id"], "applicant_id_card", files.png(), content_type="image/png")
    upload(daughter, case["id"], "social_security_card", files.pdf(), content_type="application/pdf")
    still = daughter.get(f"/api/v1/cases/{case['id']}/materials", expect=200).json()
    assert still["missing"] == ["originals_handed_in"] and still["open_requests"]

    done = clerk.post(f"/api/v1/cases/{case['id']}/originals",
                      json={"id_card": True, "hukou_page": True, "copies_clipped": True}, expect=200).json()
    assert done["missing"] == [] and done["open_requests"] == []
    assert daughter.get(f"/api/v1/cases/{case['id']}/materials", expect=200).json()["missing"] == []
    inbox = daughter.get("/api/v1/me/messages", expect=200).json()
    assert any(m["title"] == "材料已收齐" for m in inbox)

    final = daughter.wait_for_case(case["id"], all_final, timeout=90)
    assert matter(final, "hukou_cancellation")["status"] == "done"
    kinds = [e["kind"] for e in daughter.get(f"/api/v1/cases/{case['id']}/timeline", expect=200).json()]
    assert kinds.index("supplement_requested") < kinds.index("supplement_completed") < kinds.index("case_completed")


def test_a_supplement_request_names_only_missing_materials_and_carries_no_numbers(embedded_stack):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example(), materials_received=["applicant_id_card"])
    url = f"/api/v1/cases/{case['id']}/supplement-requests"
    not_missing = clerk.post(url, json={"materials": ["applicant_id_card"]}, expect=422).json()
    assert set(not_missing) == SHAPE and "materials.0" in not_missing["errors"]
    from_department = clerk.post(url, json={"materials": ["death_certificate"]}, expect=422).json()
    assert "materials.0" in from_department["errors"]  # the hospital issues it: nothing to ask of the family
    unknown = clerk.post(url, json={"materials": ["passport"]}, expect=422).json()
    assert "materials.0" in unknown["errors"]
    for note in ("请核对账号 6200000000000000017", "有事请拨 138 0000 0000", "卡号6200-0000-0000-0000-017"):
        with_number = clerk.post(url, json={"note": note}, expect=422).json()
        assert "note" in with_number["errors"], note


def test_only_the_case_window_records_originals_and_asks_for_materials(embedded_stack):
    form = fresh_worked_example()
    clerk, case = file_at_window(embedded_stack, form)
    daughter = bind_applicant(embedded_stack, clerk, case, form)
    assert daughter.post(f"/api/v1/cases/{case['id']}/supplement-requests", json={}, expect=403).json()["code"] == "forbidden"
    daughter.post(f"/api/v1/cases/{case['id']}/originals",
                  json={"id_card": True, "hukou_page": True, "copies_clipped": True}, expect=403)
    other = Api(embedded_stack.base_url).as_staff("clerk.yuelu")
    other.post(f"/api/v1/cases/{case['id']}/originals", json={"id_card": True, "hukou_page": True,
                                                                "copies_clipped": True}, expect=404)
    partial = clerk.post(f"/api/v1/cases/{case['id']}/originals",
                         json={"id_card": True, "hukou_page": False, "copies_clipped": False}, expect=422).json()
    assert set(partial["errors"]) == {"hukou_page", "copies_clipped"}


def test_paper_form_flag_is_ignored_for_a_family_filing_from_the_phone(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "cremation_certificate"])
    daughter = Api(embedded_stack.base_url).as_applicant(form)
    case = daughter.post("/api/v1/cases", json={**form, "paper_form_received": True}, expect=201).json()
    materials = daughter.get(f"/api/v1/cases/{case['id']}/materials", expect=200).json()
    assert item(materials, "application_form")["required"] is False
    assert item(materials, "application_form")["received"] is False
