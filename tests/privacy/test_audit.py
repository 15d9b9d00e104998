"""Every reveal, staff read, staff change and export is in the audit log; full values only by
reveal, with a purpose; the family may export (PIPL Art. 49)."""
from collections import Counter

from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example
from tests.materials import files
from tests.materials.support import upload


def _audit(admin, case_id):
    return admin.get(f"/api/v1/audit?case_id={case_id}", expect=200).json()


def _row(action, *, actor="staff", role="clerk", field=None, purpose=None, detail=None, success=True):
    return (action, actor, role, field, purpose, detail, success)


def test_audit_rows_match_the_actions_performed(stack):
    """Every staff request touching the case, every revealed field and the family's export make
    exactly one row each — compared as a whole, nothing missing and nothing extra."""
    form = fresh_worked_example(requested_matters=["death_certificate", "hukou_cancellation"])
    clerk = Api(stack.base_url).as_staff()
    # The hukou cancellation waits for the clipped scans still owed: the case stays open for the upload.
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": ["originals_handed_in"]},
                      expect=201).json()
    case_id, path = case["id"], "/api/v1/cases/<case_id>"
    performed = [_row("change", detail="POST /api/v1/cases")]

    clerk.get(f"/api/v1/cases/{case_id}", expect=200)
    performed.append(_row("read", detail=f"GET {path}"))
    clerk.get(f"/api/v1/cases/{case_id}/timeline", expect=200)
    performed.append(_row("read", detail=f"GET {path}/timeline"))
    stored = upload(clerk, case_id, "death_certificate", files.pdf(), filename="scan.pdf",
                    content_type="application/pdf").json()
    performed.append(_row("change", detail=f"POST {path}/uploads"))
    clerk.get(f"/api/v1/cases/{case_id}/uploads/{stored['id']}", expect=200)
    performed.append(_row("read", detail=f"GET {path}/uploads/<upload_id>"))

    revealed = clerk.post(f"/api/v1/cases/{case_id}/reveal", expect=200, json={
        "fields": ["deceased.id_number", "applicant.phone"], "purpose": "核对纸质申请表"}).json()
    assert revealed["fields"] == {"deceased.id_number": form["deceased"]["id_number"],
                                  "applicant.phone": form["applicant"]["phone"]}
    performed += [_row("reveal", field="deceased.id_number", purpose="核对纸质申请表"),
                  _row("reveal", field="applicant.phone", purpose="核对纸质申请表"),
                  _row("change", detail=f"POST {path}/reveal")]
    other = Api(stack.base_url).as_staff("clerk.yuelu")
    assert other.post(f"/api/v1/cases/{case_id}/reveal", json={"fields": ["applicant.phone"],
                                                               "purpose": "想看看号码"}).status_code == 404
    performed.append(_row("change", detail=f"POST {path}/reveal", success=False))
    assert clerk.post(f"/api/v1/cases/{case_id}/reveal", json={"fields": ["applicant.phone"]}).status_code == 422
    performed.append(_row("change", detail=f"POST {path}/reveal", success=False))

    token = clerk.get(f"/api/v1/cases/{case_id}/qrcode?format=json", expect=200).json()["token"]
    performed.append(_row("read", detail=f"GET {path}/qrcode"))
    family = Api(stack.base_url).as_applicant(form)
    family.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    exported = family.get(f"/api/v1/cases/{case_id}/export", expect=200).json()
    assert exported["deceased"]["id_number"] == form["deceased"]["id_number"]
    performed.append(_row("export", actor="family", role="family", field="deceased", purpose="家属导出（PIPL 第49条）"))

    # The family's own reads are not audited: it waits until no matter is still being sent.
    settled = family.wait_for_case(case_id, lambda c: all(m["dispatch_state"] != "pending" for m in c["matters"]))

    admin = Api(stack.base_url).as_staff("admin.hn")
    rows = _audit(admin, case_id)
    people = [e for e in rows if not e["actor"].startswith("system:")]
    got = [_row(e["action"], actor=e["actor"].split(":")[0], role=e["role"], field=e["field"], purpose=e["purpose"],
                detail=e["detail"], success=e["success"]) for e in people]
    assert Counter(got) == Counter(performed)
    assert all(e["remote_addr"] and e["case_id"] == case_id for e in people)
    assert len({e["actor"] for e in people}) == 3  # the two clerks and the family member

    # Each matter sent to its department is a reveal by the adapter, and nothing else is.
    sent = {(f"{m['department']}:minimum", f"推送{m['code']}至{m['department']}办理")
            for m in settled["matters"] if m["dispatch_state"] == "sent"}
    every = {(f"{m['department']}:minimum", f"推送{m['code']}至{m['department']}办理") for m in settled["matters"]}
    by_system = {(e["field"], e["purpose"]) for e in rows if e["actor"].startswith("system:")}
    assert sent and sent <= by_system <= every
    assert all((e["action"], e["role"]) == ("reveal", "adapter") for e in rows if e["actor"].startswith("system:"))


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
