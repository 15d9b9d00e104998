"""Every reveal, staff read, staff change and export is in the audit log; full values only by
reveal, with a purpose; the family may export (PIPL Art. 49)."""
from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example


def _audit(admin, case_id):
    return admin.get(f"/api/v1/audit?case_id={case_id}", expect=200).json()


def test_audit_rows_match_the_actions_performed(stack):
    form = fresh_worked_example(requested_matters=["death_certificate"])
    clerk = Api(stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    case_id = case["id"]
    admin = Api(stack.base_url).as_staff("admin.hn")
    before = {e["id"] for e in _audit(admin, case_id)}

    clerk.get(f"/api/v1/cases/{case_id}", expect=200)
    clerk.get(f"/api/v1/cases/{case_id}/timeline", expect=200)
    revealed = clerk.post(f"/api/v1/cases/{case_id}/reveal", expect=200, json={
        "fields": ["deceased.id_number", "applicant.phone"], "purpose": "核对纸质申请表"}).json()
    assert revealed["fields"] == {"deceased.id_number": form["deceased"]["id_number"],
                                  "applicant.phone": form["applicant"]["phone"]}
    other = Api(stack.base_url).as_staff("clerk.yuelu")
    assert other.post(f"/api/v1/cases/{case_id}/reveal", json={"fields": ["applicant.phone"],
                                                               "purpose": "想看看号码"}).status_code == 404
    assert clerk.post(f"/api/v1/cases/{case_id}/reveal", json={"fields": ["applicant.phone"]}).status_code == 422
    family = Api(stack.base_url).as_applicant(form)
    token = clerk.get(f"/api/v1/cases/{case_id}/qrcode?format=json", expect=200).json()["token"]
    family.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    exported = family.get(f"/api/v1/cases/{case_id}/export", expect=200).json()
    assert exported["deceased"]["id_number"] == form["deceased"]["id_number"]

    rows = [e for e in _audit(admin, case_id) if e["id"] not in before]
    got = sorted((e["action"], e["field"], e["actor"].split(":")[0]) for e in rows
                 if e["detail"] is None or "qrcode" not in e["detail"])
    reveals = [(e["action"], e["field"], e["purpose"]) for e in rows if e["action"] == "reveal" and e["success"]]
    assert ("reveal", "deceased.id_number", "核对纸质申请表") in reveals
    assert ("reveal", "applicant.phone", "核对纸质申请表") in reveals
    assert ("read", None, "staff") in got and got.count(("read", None, "staff")) >= 2
    assert ("export", "deceased", "family") in got
    assert all(e["remote_addr"] for e in rows if e["actor"].startswith(("staff", "family")))


def test_a_family_member_cannot_reveal_and_a_non_relative_cannot_export(stack):
    form = fresh_worked_example(requested_matters=["death_certificate"], applicant__relationship="99",
                                applicant__relationship_basis="村委会")
    clerk = Api(stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    family = Api(stack.base_url).as_applicant(form)
    token = clerk.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]
    family.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    assert family.post(f"/api/v1/cases/{case['id']}/reveal",
                       json={"fields": ["applicant.phone"], "purpose": "查看"}).status_code == 403
    assert family.get(f"/api/v1/cases/{case['id']}/export").status_code == 403
