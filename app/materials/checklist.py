"""The materials checklist of a case: what is required, what has arrived, what was requested.

The six materials of 湘民发〔2022〕57号 二(二), with 2 split into what the hukou cancellation
waits for (clipped ID card scan, clipped hukou page scan, originals handed in, 附件2 注4).
A material is *required* when a matter of the case needs it (catalogue ``waits_for`` and
``materials``) — the paper form only for a window application (线下办理填报). It is
*received* when recorded (``CaseMaterial``: by a clerk, or by an upload), the death certificate
when a matter that provides it is done or it was recorded, and the bank account because the
form always carries it. This module imports no service of another domain that imports it back.
"""
from __future__ import annotations

from datetime import datetime

from app import clock
from app.cases.models import Case
from app.cases.timeline import record_event
from app.catalogue.service import get_matter, load_catalogue
from app.extensions import db
from app.materials.models import SupplementRequest, Upload
from app.matters.service import satisfied_prerequisites

#: Checklist codes in the notice's order, each with how the family or the window supplies it.
ITEMS = {
    "application_form": "在受理窗口核对并签字确认纸质申请表",
    "deceased_id_card_clipped_scan": "窗口工作人员剪角后扫描上传，或在应用中上传剪角后的身份证照片",
    "hukou_page_clipped_scan": "窗口工作人员剪角后扫描上传，或在应用中上传剪角后的户口页照片",
    "originals_handed_in": "将死亡人员身份证和户口页原件交回受理窗口（附件2 注4）",
    "applicant_id_card": "在应用中上传申请人身份证照片，或在窗口出示",
    "death_certificate": "",  # depends on the death: see _death_certificate_hint
    "bank_account": "已在申请表中填写",
    "social_security_card": "在应用中上传死亡人员社会保障卡照片，或在窗口出示",
}
#: Upload kinds (``POST /cases/{id}/uploads``) and the checklist material each one supplies.
UPLOAD_KINDS = {
    "deceased_id_card_clipped": "deceased_id_card_clipped_scan",
    "hukou_page_clipped": "hukou_page_clipped_scan",
    "applicant_id_card": "applicant_id_card",
    "death_certificate": None,  # a scan is kept, but the certificate counts once issued or recorded
    "social_security_card": "social_security_card",
}
_CATALOGUE_MATERIAL = {"deceased_id_card_and_hukou_page": ("deceased_id_card_clipped_scan", "hukou_page_clipped_scan",
                                                           "originals_handed_in")}


def _name(code: str) -> str:
    data = load_catalogue()
    return data["prerequisites"].get(code) or data["materials"].get(code, code)


def required_materials(case: Case) -> list[str]:
    """Checklist codes this case needs, in :data:`ITEMS` order."""
    needed = {"application_form"} if case.channel == "window" else set()
    for matter in case.matters:
        needed.update(p for p in matter.requires or [] if p in ITEMS)
        for material in get_matter(matter.code).get("materials", []):
            needed.update(_CATALOGUE_MATERIAL.get(material, (material,)))
    return [code for code in ITEMS if code in needed]


def _received(case: Case) -> dict[str, datetime | None]:
    rows = {m.kind: m.received_at for m in case.materials}
    received = {code: at for code, at in rows.items() if code in ITEMS}
    if "death_certificate" in satisfied_prerequisites(case):
        done = [m.finished_at for m in case.matters if m.status == "done"
                and "death_certificate" in get_matter(m.code).get("provides", [])]
        received.setdefault("death_certificate", done[0] if done else None)
    received["bank_account"] = case.submitted_at  # a required field of the form
    return received


def missing_materials(case: Case) -> list[str]:
    """Required checklist codes not yet received that the family or the window must supply
    (a death certificate a department issues to the case is awaited, not missing)."""
    received = _received(case)
    return [code for code in required_materials(case) if code not in received and not _from_department(case, code)]


def _from_department(case: Case, code: str) -> bool:
    return code == "death_certificate" and case.form["deceased"]["death_cause_category"] == "normal"


def open_requests(case: Case) -> list[SupplementRequest]:
    query = db.select(SupplementRequest).filter_by(case_id=case.id, completed_at=None).order_by(SupplementRequest.id)
    return list(db.session.execute(query).scalars())


def checklist(case: Case) -> list[dict]:
    """Every material of the notice for this case::

        [{"code", "name", "required": bool, "received": bool, "received_at": datetime | None,
          "requested": bool (in an open 补正 request), "how": "<中文：如何补充>",
          "upload_kind": str | None (what to upload for it), "upload_ids": [str]}]
    """
    received = _received(case)
    required = set(required_materials(case))
    requested = {code for request in open_requests(case) for code in request.materials}
    uploads: dict[str, list[str]] = {}
    for upload in db.session.execute(db.select(Upload).filter_by(case_id=case.id).order_by(Upload.created_at)).scalars():
        uploads.setdefault(UPLOAD_KINDS.get(upload.kind) or upload.kind, []).append(upload.id)
    upload_kind = {material: kind for kind, material in UPLOAD_KINDS.items() if material}
    upload_kind["death_certificate"] = "death_certificate"
    return [
        {
            "code": code,
            "name": _name(code),
            "required": code in required,
            "received": code in received,
            "received_at": received.get(code),
            "requested": code in requested and code not in received,
            "how": ITEMS[code] or _death_certificate_hint(case),
            "upload_kind": upload_kind.get(code),
            "upload_ids": uploads.get(code, []),
        }
        for code in ITEMS
    ]


def _death_certificate_hint(case: Case) -> str:
    if case.form["deceased"]["death_cause_category"] == "abnormal":
        return "由公安机关评估后线下开具非正常死亡证明，请交受理窗口登记"
    if case.form["deceased"]["place_of_death"]["kind"] == "medical_institution":
        return "由医疗机构开具，开具后自动获取，无需提交"
    return "由村（居）委会发起，社区卫生服务机构或乡镇卫生院开具，开具后自动获取"


def requestable(case: Case, code: str) -> bool:
    """Whether the family can be asked for ``code``: not the bank account (in the form), not a
    death certificate a department issues to us (normal death)."""
    return code in ITEMS and code != "bank_account" and not _from_department(case, code)


def settle_supplement_requests(case: Case, *, actor: str) -> list[SupplementRequest]:
    """Close each open 补正 request whose materials have all arrived, telling the family
    (inside the caller's transaction). Out: the requests closed now."""
    received = _received(case)
    closed = []
    for request in open_requests(case):
        if all(code in received for code in request.materials):
            request.completed_at = clock.now()
            closed.append(request)
    if closed:
        record_event(case, kind="supplement_completed", actor=actor,
                     summary="您补充的材料已收齐，相关事项将继续办理。",
                     data={"materials": sorted({c for r in closed for c in r.materials})})
    return closed


def note_acceptance_with_missing(case: Case, *, actor: str, notify: bool = True) -> list[str]:
    """容缺受理: when a case is accepted while materials are still missing, say so on the
    timeline with the list (inside the caller's transaction); ``notify=False`` when no family
    member is bound yet. Out: the missing codes."""
    missing = missing_materials(case)
    if missing:
        record_event(case, kind="accepted_with_missing_materials", actor=actor, data={"materials": missing},
                     summary=f"申请已受理（容缺受理），尚需补充：{describe(missing)}。", notify=notify)
    return missing


def describe(codes: list[str]) -> str:
    """``["applicant_id_card", …]`` → 申请人身份证、… (for the family's message)."""
    return "、".join(_name(code) for code in codes)
