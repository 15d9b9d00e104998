"""A death at home: the village committee starts the death certificate, the community health
centre of its county issues it, and the family's case goes on to the hukou cancellation."""
from app.extensions import db
from app.sandbox.models import SandboxSubmission
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example
from tests.materials import files
from tests.materials.support import HOME, bind_applicant, file_at_window, home_death_form, matter, upload

SHAPE = {"code", "message", "errors"}


def _health_payload(stack, matter_id: str) -> dict:
    with stack.app.app_context():
        row = db.session.execute(db.select(SandboxSubmission).filter_by(matter_id=matter_id)).scalars().first()
        payload = row.payload if row else None
        db.session.remove()
    return payload


def test_family_case_waits_for_the_village_committee_then_goes_to_the_health_centre_and_on(stack):
    form = home_death_form(requested_matters=["death_certificate", "cremation_certificate", "hukou_cancellation"])
    clerk, case = file_at_window(stack, form, materials_received=HUKOU_MATERIALS)
    certificate = matter(case, "death_certificate")
    assert certificate["status"] == "waiting" and certificate["dispatch_state"] == "idle"
    assert [w["code"] for w in certificate["waiting_for"]] == ["village_committee_started"]

    village = Api(stack.base_url).as_staff("village.yuelu")
    started = village.post("/api/v1/village/death-certificates", json={"case_reference": case["reference"]},
                           expect=201).json()
    assert started["case_id"] == case["id"] and started["created"] is False
    assert started["matter"]["waiting_for"] == [] and started["matter"]["dispatch_state"] != "idle"

    done = clerk.wait_for_case(case["id"], all_final, timeout=90)
    assert matter(done, "death_certificate")["outcome"]["certificate_reference"]
    assert matter(done, "hukou_cancellation")["status"] == "done"
    data = _health_payload(stack, certificate["id"])["data"]
    assert data["issuer_kind"] == "community_health_centre" and data["county_code"] == "430104"
    again = village.post("/api/v1/village/death-certificates", json={"case_reference": case["reference"]},
                         expect=404).json()  # completed: no longer an open case
    assert set(again) == SHAPE


def test_village_committee_files_for_the_family_and_the_case_reaches_the_hukou_cancellation(stack):
    form = home_death_form(requested_matters=["hukou_cancellation", "cremation_certificate"])
    form["deceased"]["place_of_death"] = {k: v for k, v in HOME.items() if k != "division_code"}
    village = Api(stack.base_url).as_staff("village.yuelu")
    started = village.post("/api/v1/village/death-certificates", json={"form": form}, expect=201).json()
    assert started["created"] is True and started["matter"]["code"] == "death_certificate"
    case = village.get(f"/api/v1/cases/{started['case_id']}", expect=200).json()
    assert {m["code"] for m in case["matters"]} >= {"death_certificate", "hukou_cancellation", "cremation_certificate"}
    assert case["window_id"] == "yuelu-demo-community"

    # The health centre issues the certificate; the hukou then waits only for the ID card and hukou page.
    case = village.wait_for_case(case["id"], lambda c: matter(c, "death_certificate")["status"] == "done", timeout=60)
    hukou = matter(case, "hukou_cancellation")
    assert {w["code"] for w in hukou["waiting_for"]} == set(HUKOU_MATERIALS)
    data = _health_payload(stack, matter(case, "death_certificate")["id"])["data"]
    assert data["issuer_kind"] == "community_health_centre" and data["county_code"] == "430104"
    assert data["deceased"]["place_of_death"]["division_code"] == "430104"  # attested by the committee

    daughter = bind_applicant(stack, village, case, form)
    upload(daughter, case["id"], "deceased_id_card_clipped", files.jpeg())
    upload(daughter, case["id"], "hukou_page_clipped", files.jpeg())
    village.post(f"/api/v1/cases/{case['id']}/originals",
                 json={"id_card": True, "hukou_page": True, "copies_clipped": True}, expect=200)
    done = daughter.wait_for_case(case["id"], all_final, timeout=90)
    assert all(m["status"] == "done" for m in done["matters"])
    kinds = [e["kind"] for e in daughter.get(f"/api/v1/cases/{case['id']}/timeline", expect=200).json()]
    assert kinds.index("village_committee_started") < kinds.index("matter_done")


def test_a_hospital_death_gets_no_village_step_and_its_certificate_goes_to_the_hospital(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate"])
    clerk, case = file_at_window(embedded_stack, form)
    done = clerk.wait_for_case(case["id"], all_final, timeout=60)
    data = _health_payload(embedded_stack, matter(done, "death_certificate")["id"])["data"]
    assert data["issuer_kind"] == "medical_institution"
    village = Api(embedded_stack.base_url).as_staff("village.yuelu")
    refused = village.post("/api/v1/village/death-certificates", json={"form": fresh_worked_example()},
                           expect=422).json()
    assert refused["code"] == "died_in_medical_institution"
    assert "form.deceased.place_of_death.kind" in refused["errors"]


def test_the_village_committee_starts_only_normal_deaths_in_its_own_county(embedded_stack):
    village = Api(embedded_stack.base_url).as_staff("village.yuelu")
    url = "/api/v1/village/death-certificates"
    abnormal = home_death_form(deceased__death_cause_category="abnormal", deceased__death_cause="意外",
                               requested_matters=["abnormal_death_certificate"])
    assert village.post(url, json={"form": abnormal}, expect=422).json()["code"] == "not_normal_death"
    elsewhere = home_death_form(deceased__place_of_death={**HOME, "division_code": "430102"})
    assert village.post(url, json={"form": elsewhere}, expect=422).json()["code"] == "outside_county"
    neither = village.post(url, json={}, expect=422).json()
    assert set(neither) == SHAPE and "case_reference" in neither["errors"]
    clerk = Api(embedded_stack.base_url).as_staff("clerk.cs")
    assert clerk.post(url, json={"form": home_death_form()}, expect=403).json()["code"] == "forbidden"
    assert village.post(url, json={"case_reference": "SH20260131000000"}, expect=404).json()["code"] == "case_not_found"
