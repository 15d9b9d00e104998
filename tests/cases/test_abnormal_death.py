"""An abnormal death: the police issue the certificate offline; the window records its number
(and scan), and every matter waiting for a death certificate is released."""
import time

from tests.helpers import HUKOU_MATERIALS, all_final, fresh_worked_example
from tests.materials import files
from tests.materials.support import file_at_window, matter, upload

SHAPE = {"code", "message", "errors"}
REQUESTED = ["abnormal_death_certificate", "cremation_certificate", "hukou_cancellation", "medical_insurance_reduction"]
CERTIFICATE = "岳公非死证〔2026〕0123号"


def abnormal_form():
    return fresh_worked_example(deceased__death_cause_category="abnormal", deceased__death_cause="意外事故",
                                circumstances__welfare=[], requested_matters=REQUESTED)


def test_clerk_records_the_abnormal_death_certificate_and_the_waiting_matters_are_released(stack):
    clerk, case = file_at_window(stack, abnormal_form(), materials_received=HUKOU_MATERIALS)
    offline = matter(case, "abnormal_death_certificate")
    assert offline["status"] == "waiting" and offline["dispatch_state"] == "idle"
    time.sleep(0.5)  # nothing is sent while the certificate is outstanding
    waiting = clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json()
    assert all(m["status"] == "waiting" and m["dispatch_state"] == "idle" for m in waiting["matters"])
    assert {w["code"] for w in matter(waiting, "cremation_certificate")["waiting_for"]} == {"death_certificate"}

    scan = upload(clerk, case["id"], "death_certificate", files.pdf(), filename="证明.pdf",
                  content_type="application/pdf").json()
    recorded = clerk.post(f"/api/v1/cases/{case['id']}/abnormal-death-certificate",
                          json={"certificate_number": CERTIFICATE, "upload_id": scan["id"]}, expect=200).json()
    offline = matter(recorded, "abnormal_death_certificate")
    assert offline["status"] == "done" and offline["outcome"]["certificate_reference"] == CERTIFICATE
    released = [m for m in recorded["matters"] if m["code"] != "abnormal_death_certificate"]
    assert all(m["dispatch_state"] != "idle" and not m["waiting_for"] for m in released)

    done = clerk.wait_for_case(case["id"], all_final, timeout=90)
    assert {m["code"] for m in done["matters"]} == set(REQUESTED)
    assert all(m["status"] == "done" for m in done["matters"])
    materials = clerk.get(f"/api/v1/cases/{case['id']}/materials", expect=200).json()
    death = next(i for i in materials["items"] if i["code"] == "death_certificate")
    assert death["received"] is True and death["upload_ids"] == [scan["id"]]


def test_the_certificate_is_recorded_once_and_only_on_an_abnormal_death_case(embedded_stack):
    clerk, case = file_at_window(embedded_stack, abnormal_form())
    url = f"/api/v1/cases/{case['id']}/abnormal-death-certificate"
    clerk.post(url, json={"certificate_number": CERTIFICATE}, expect=200)
    again = clerk.post(url, json={"certificate_number": CERTIFICATE}, expect=409).json()
    assert set(again) == SHAPE and again["code"] == "already_recorded"

    _, normal = file_at_window(embedded_stack, fresh_worked_example())
    refused = clerk.post(f"/api/v1/cases/{normal['id']}/abnormal-death-certificate",
                         json={"certificate_number": CERTIFICATE}, expect=422).json()
    assert refused["code"] == "no_abnormal_certificate" and "certificate_number" in refused["errors"]


def test_a_scan_of_another_kind_or_case_is_refused(embedded_stack):
    clerk, case = file_at_window(embedded_stack, abnormal_form())
    photo = upload(clerk, case["id"], "applicant_id_card", files.jpeg()).json()
    refused = clerk.post(f"/api/v1/cases/{case['id']}/abnormal-death-certificate",
                         json={"certificate_number": CERTIFICATE, "upload_id": photo["id"]}, expect=422).json()
    assert "upload_id" in refused["errors"]
    blank = clerk.post(f"/api/v1/cases/{case['id']}/abnormal-death-certificate",
                       json={"certificate_number": "  "}, expect=422).json()
    assert "certificate_number" in blank["errors"]
