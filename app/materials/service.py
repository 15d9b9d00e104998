"""Materials at the window and from the phone: the checklist, 容缺受理 and 补正, uploads,
originals handed in (附件2 注4), the abnormal-death certificate, the printed form.

Access: :func:`app.cases.service.get_case` decides who may see a case; changes are made by the
window staff of the case's window (clerk, or the village committee for the cases it started)
and uploads also by the bound family.
"""
from __future__ import annotations

import hashlib
import logging
import re

from flask import current_app

from app.cases.models import Case
from app.cases.service import get_case
from app.cases.timeline import record_event
from app.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.extensions import db
from app.identity.models import new_id
from app.identity.tokens import Principal
from app.masking import LONG_NUMBER
from app.materials import checklist as cl
from app.materials.inspect import inspect_upload
from app.materials.models import SupplementRequest, Upload
from app.materials.storage import storage_for
from app.matters.service import complete_offline_matter, release_ready_matters
from app.privacy.crypto import SealedValueError
from app.qr import service as qr

log = logging.getLogger(__name__)
WINDOW_ROLES = ("clerk", "village_committee")
# A long run of digits in free text is probably an ID, bank or phone number (SPEC §8): six in a
# row, or seven or more with spaces or dashes between them (``app.masking.LONG_NUMBER``).
_SIX_DIGITS = re.compile(r"\d{6,}")


def _window_actor(case: Case, principal: Principal) -> str:
    """Window staff of the case's own window; others are refused."""
    if principal.kind != "staff" or principal.role not in WINDOW_ROLES or case.window_id != principal.window_id:
        raise Forbidden("只有受理窗口工作人员可以办理此操作")
    return f"staff:{principal.subject}"


def _uploader(case: Case, principal: Principal) -> str:
    if principal.kind == "family":
        return f"family:{principal.subject}"  # get_case let only bound (active) members through
    return _window_actor(case, principal)


def _locked_case(case_id: str, principal: Principal) -> Case:
    case = get_case(case_id=case_id, principal=principal)
    # Serialises writers of one case's materials (PostgreSQL; SQLite serialises writes itself).
    db.session.refresh(case, with_for_update=True)
    return case


def _after_materials_changed(case: Case, *, actor: str) -> None:
    release_ready_matters(case, actor=actor)
    cl.settle_supplement_requests(case, actor=actor)


# --- checklist, 容缺受理 and 补正 -------------------------------------------------------------

def materials_of_case(*, case_id: str, principal: Principal) -> dict:
    """The checklist for whoever may see the case::

        {"case_id", "missing": [code], "items": [see checklist.checklist],
         "open_requests": [SupplementRequest]}
    """
    case = get_case(case_id=case_id, principal=principal)
    return {"case_id": case.id, "missing": cl.missing_materials(case), "items": cl.checklist(case),
            "open_requests": cl.open_requests(case)}


def request_supplement(*, case_id: str, principal: Principal, materials: list[str] | None = None,
                       note: str | None = None) -> SupplementRequest:
    """Ask the family in the app to supply missing materials (补正 after 容缺受理).

    ``materials``: checklist codes, default every missing one the family can supply;
    ``note``: up to 200 characters for the family, no long numbers. The family is notified.
    Raises :class:`Forbidden` outside the case's window, :class:`RuleViolation` for a code
    that is not missing or cannot be asked of the family, or when nothing is missing.
    """
    case = _locked_case(case_id, principal)
    actor = _window_actor(case, principal)
    if case.status not in {"accepted", "in_progress"}:
        raise RuleViolation("申请受理后才能请家属补充材料", code="case_not_open")
    missing = cl.missing_materials(case)
    if materials is None:
        materials = [code for code in missing if cl.requestable(case, code)]
        if not materials:
            raise RuleViolation("没有需要家属补充的材料", errors={"materials": ["材料已齐全"]}, code="nothing_missing")
    bad = {f"materials.{i}": ["该材料已收到，或不需要家属补充"] for i, code in enumerate(materials)
           if code not in missing or not cl.requestable(case, code)}
    if bad:
        raise RuleViolation("所列材料不能请家属补充", errors=bad, code="not_requestable")
    if note and (_SIX_DIGITS.search(note) or LONG_NUMBER.search(note)):
        raise RuleViolation("说明中不能包含证件号、账号或电话号码",
                            errors={"note": ["说明会发送到家属手机，请不要填写证件号、账号或电话号码"]})
    request = SupplementRequest(case_id=case.id, materials=list(materials), note=note, requested_by=actor)
    db.session.add(request)
    summary = f"请补充以下材料：{cl.describe(materials)}。可在应用中上传，原件请交受理窗口。"
    if note:
        summary += f"窗口留言：{note}"
    record_event(case, kind="supplement_requested", actor=actor, summary=summary, data={"materials": list(materials)})
    db.session.commit()
    return request


def record_originals(*, case_id: str, principal: Principal, id_card: bool, hukou_page: bool,
                     copies_clipped: bool) -> dict:
    """The window records that the originals of the deceased's ID card and hukou page were
    handed in and the cards clipped (附件2 注4; 二(二)2: clipped, then returned to the family).

    All three must be ``True``: the hukou cancellation needs both originals. Records the
    prerequisite ``originals_handed_in`` and releases what waited for it. Out: the checklist.
    Raises :class:`RuleViolation` naming the field that is not ``True``.
    """
    case = _locked_case(case_id, principal)
    actor = _window_actor(case, principal)
    errors = {}
    if not id_card:
        errors["id_card"] = ["须交回死亡人员身份证原件（附件2 注4）"]
    if not hukou_page:
        errors["hukou_page"] = ["须交回死亡人员户口页原件（附件2 注4）"]
    if not copies_clipped:
        errors["copies_clipped"] = ["身份证和户口页须剪角后再退还家属"]
    if errors:
        raise RuleViolation("原件未交齐", errors=errors, code="originals_incomplete")
    if case.receive_material("originals_handed_in", recorded_by=actor):
        record_event(case, kind="originals_handed_in", actor=actor,
                     summary="窗口已收到死亡人员身份证和户口页原件，已剪角并退还家属。")
        _after_materials_changed(case, actor=actor)
    db.session.commit()
    return materials_of_case(case_id=case.id, principal=principal)


# --- uploads ------------------------------------------------------------------------------------

def store_upload(*, case_id: str, principal: Principal, kind: str, data: bytes) -> Upload:
    """Check and keep one file (JPEG, PNG or PDF; see :mod:`app.materials.inspect`).

    ``kind`` is one of :data:`checklist.UPLOAD_KINDS`. A clipped ID card or hukou page scan
    records its prerequisite and releases matters waiting for it (二(四)3). Raises
    :class:`NotFound` for a case the caller may not see, :class:`Forbidden` for staff of
    another window, and the errors of :func:`inspect_upload`.
    """
    case = get_case(case_id=case_id, principal=principal)
    actor = _uploader(case, principal)
    if kind not in cl.UPLOAD_KINDS:
        raise RuleViolation("不认识的材料类型", errors={"kind": [f"取值应为 {', '.join(cl.UPLOAD_KINDS)} 之一"]})
    if case.status in {"completed", "withdrawn"}:
        raise Conflict("申请已办结或已撤回，不能再上传材料", code="case_closed")
    cfg = current_app.config
    found = inspect_upload(data, max_bytes=cfg["UPLOAD_MAX_BYTES"], max_pixels=cfg["UPLOAD_MAX_PIXELS"])
    upload = Upload(id=new_id(), case_id=case.id, kind=kind, content_type=found.content_type, size_bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), width=found.width, height=found.height,
                    uploaded_by=actor)
    upload.storage_key = f"{case.id}/{upload.id}{found.extension}"
    storage = storage_for()
    storage.put(upload.storage_key, data)  # before the row: a row never points at nothing
    try:
        db.session.refresh(case, with_for_update=True)
        db.session.add(upload)
        record_event(case, kind="material_uploaded", actor=actor, notify=False,
                     summary=f"已上传材料：{_upload_name(kind)}", data={"upload_id": upload.id, "kind": kind})
        material = cl.UPLOAD_KINDS[kind]
        if material and case.receive_material(material, recorded_by=actor):
            _after_materials_changed(case, actor=actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.delete(upload.storage_key)
        raise
    log.info("upload %s stored for case %s (%s, %d bytes)", upload.id, case.id, upload.content_type,
             upload.size_bytes, extra={"case_id": case.id})
    return upload


_UPLOAD_NAMES = {
    "deceased_id_card_clipped": "已剪角的死亡人员身份证",
    "hukou_page_clipped": "已剪角的死亡人员户口页",
    "applicant_id_card": "申请人身份证",
    "death_certificate": "死亡证明",
    "social_security_card": "死亡人员社会保障卡",
}


def _upload_name(kind: str) -> str:
    return _UPLOAD_NAMES.get(kind, kind)


def list_uploads(*, case_id: str, principal: Principal) -> list[Upload]:
    """The case's uploads (metadata only), oldest first."""
    case = get_case(case_id=case_id, principal=principal)
    return list(db.session.execute(db.select(Upload).filter_by(case_id=case.id).order_by(Upload.created_at)).scalars())


def read_upload(*, case_id: str, upload_id: str, principal: Principal) -> tuple[Upload, bytes]:
    """One upload's metadata and bytes (decrypted), for whoever may see the case. Raises
    :class:`NotFound`, and :class:`SealedValueError` for a file that does not open or does not
    match its recorded SHA-256 (tampered, or replaced on disk)."""
    case = get_case(case_id=case_id, principal=principal)
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.case_id != case.id:
        raise NotFound("没有找到该文件")
    try:
        data = storage_for().get(upload.storage_key)
        # Sealed files are authenticated by AES-GCM; one stored in plaintext before encryption
        # is served only while it still matches the hash recorded at upload (issue 6).
        if hashlib.sha256(data).hexdigest() != upload.sha256:
            raise SealedValueError("the file does not match its recorded SHA-256")
    except SealedValueError as exc:  # answered as an internal error; the operator needs the id
        log.error("upload %s cannot be served: %s", upload.id, exc, extra={"case_id": case.id})
        raise
    return upload, data


def reseal_uploads(*, batch: int = 200) -> dict[str, int]:
    """Seal every upload's file under the current ``DATA_KEY_ID`` (``flask privacy reseal``):
    files under an older key, and files stored in plaintext before encryption (checked against
    their row's SHA-256 first). Safe to run while the service runs and to run again.

    Out: ``{"sealed": files rewritten, "missing": rows whose file is gone, "failed": files that
    do not open or do not match their hash (left as they are, each logged with its upload id)}``.
    """
    storage = storage_for()
    counts = {"sealed": 0, "missing": 0, "failed": 0}
    last_id = ""
    while True:
        rows = db.session.execute(db.select(Upload.id, Upload.storage_key, Upload.sha256).filter(Upload.id > last_id)
                                  .order_by(Upload.id).limit(batch)).all()
        db.session.rollback()  # no transaction held open across file writes
        if not rows:
            return counts
        for upload_id, key, sha256 in rows:
            try:
                counts["sealed"] += storage.reseal(key, sha256=sha256)
            except NotFound:
                counts["missing"] += 1
                log.error("reseal: upload %s has no file", upload_id)
            except SealedValueError as exc:
                counts["failed"] += 1
                log.error("reseal: upload %s left as it is: %s", upload_id, exc)
        last_id = rows[-1][0]


def download_name(upload: Upload) -> str:
    """``deceased_id_card_clipped-1a2b3c4d.jpg``: ours, ASCII, never the client's name."""
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[upload.content_type]
    return f"{upload.kind}-{upload.id[:8]}.{extension}"


# --- abnormal deaths ----------------------------------------------------------------------------

def record_abnormal_death_certificate(*, case_id: str, principal: Principal, certificate_number: str,
                                      upload_id: str | None = None) -> Case:
    """The police issued the abnormal-death certificate offline (湘民发〔2022〕57号 二(四)1); the
    window records its number (and the scan uploaded as ``death_certificate``). The
    ``abnormal_death_certificate`` matter is done with ``certificate_reference``, which
    releases every matter waiting for a death certificate. Raises :class:`RuleViolation` when
    the case has no such matter or the upload is not this case's death-certificate scan,
    :class:`Conflict` when it is already recorded.
    """
    case = _locked_case(case_id, principal)
    actor = _window_actor(case, principal)
    matter = next((m for m in case.matters if m.code == "abnormal_death_certificate"), None)
    if matter is None:
        raise RuleViolation("本申请没有“非正常死亡证明开具”事项", code="no_abnormal_certificate",
                            errors={"certificate_number": ["只有非正常死亡的申请需要登记非正常死亡证明"]})
    if matter.status == "done":
        raise Conflict("非正常死亡证明已登记", code="already_recorded")
    if case.status not in {"accepted", "in_progress"}:
        raise RuleViolation("申请受理后才能登记死亡证明", code="case_not_open")
    outcome = {"certificate_reference": certificate_number}
    if upload_id:
        upload = db.session.get(Upload, upload_id)
        if upload is None or upload.case_id != case.id or upload.kind != "death_certificate":
            raise RuleViolation("扫描件不正确", errors={"upload_id": ["请先上传本申请的死亡证明扫描件（kind=death_certificate）"]})
        outcome["note"] = f"扫描件 {upload.id}"
    complete_offline_matter(matter, outcome=outcome, actor=actor)
    cl.settle_supplement_requests(case, actor=actor)
    db.session.commit()
    return case


# --- the printed form ---------------------------------------------------------------------------

def application_pdf(*, case_id: str, principal: Principal) -> tuple[Case, bytes]:
    """附件2 filled in from the case, for signature (see :mod:`app.materials.printed_form`), for
    whoever may see the case; the case QR code is printed only for the applicant and the
    case's window (SPEC §6). Raises :class:`NotFound`, ``ServiceUnavailable`` (no font)."""
    from app.materials.printed_form import render_application

    case = get_case(case_id=case_id, principal=principal)
    try:  # the QR code only for those who may have it (the applicant, the case's window)
        link = qr.link_for(qr.case_qr(case_id=case.id, principal=principal))
    except (NotFound, Forbidden):
        link = None
    return case, render_application(case, qr_link=link)
