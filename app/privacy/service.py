"""Reveal, export and retention of private data (issue 6 §2, §5).

Answers are masked by default. A full value leaves only through :func:`reveal` (a clerk of the
case's window checking a paper form, or an officer of a department with a matter in the case)
with a stated purpose, or to the department itself through its adapter; both are audited.
"""
from __future__ import annotations

import copy
from datetime import timedelta

from flask import current_app

from app import clock
from app.cases.models import Case, CaseMember, Event
from app.cases.service import get_case
from app.errors import Forbidden, NotFound, RuleViolation
from app.extensions import db
from app.identity.tokens import Principal
from app.masking import mask_account, mask_id_number, mask_phone
from app.privacy import audit

#: Fields a reveal may ask for, as dotted paths into the form.
REVEALABLE = (
    "deceased.id_number",
    "deceased.bank_account.account_number",
    "deceased.social_security_card.account_number",
    "deceased.death_cause",
    "applicant.id_number",
    "applicant.phone",
    "applicant.address",
)
SYSTEM = Principal(kind="system", subject="retention", role="system")


def _get(form: dict, path: str):
    value = form
    for part in path.split("."):
        value = (value or {}).get(part)
    return value


def reveal(*, case_id: str, principal: Principal, fields: list[str], purpose: str) -> dict:
    """Full values of ``fields`` for a staff member who needs them, each read audited.

    Out: ``{"fields": {path: value}, "purpose": str}``. Raises :class:`Forbidden` for other
    callers, :class:`RuleViolation` for an unknown field or a missing purpose.
    """
    case = get_case(case_id=case_id, principal=principal)
    allowed = principal.kind == "staff" and (
        (principal.role == "clerk" and case.window_id and case.window_id == principal.window_id)
        or (principal.role == "department_officer" and any(m.department == principal.department for m in case.matters))
    )
    if not allowed:
        audit.record(principal=principal, action="reveal", case_id=case.id, field=",".join(fields)[:64],
                     purpose=purpose, success=False)
        db.session.commit()
        raise Forbidden("只有受理窗口或办理部门可以查看完整信息")
    errors = {}
    unknown = [f for f in fields if f not in REVEALABLE]
    if unknown or not fields:
        errors["fields"] = [f"不认识的字段：{f}" for f in unknown] or ["请选择要查看的字段"]
    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        errors["purpose"] = ["请写明查看目的（至少4个字），会记入审计日志"]
    if errors:
        raise RuleViolation("查看完整信息的请求有误", errors=errors)
    if case.purged_at is not None:
        raise NotFound("该申请的个人信息已按保存期限删除")
    values = {}
    for path in fields:
        values[path] = _get(case.form, path)
        audit.record(principal=principal, action="reveal", case_id=case.id, field=path, purpose=purpose)
    db.session.commit()
    return {"fields": values, "purpose": purpose}


def export_for_family(*, case_id: str, principal: Principal) -> dict:
    """PIPL Art. 49: a near relative bound to the case exports the deceased's data held here.

    Out: JSON-ready dict (the form, matters with outcomes, the timeline). Audited.
    Raises :class:`Forbidden` unless the caller is an active member whose relation is not 99.
    """
    case = get_case(case_id=case_id, principal=principal)
    member = db.session.execute(
        db.select(CaseMember).filter_by(case_id=case.id, user_id=principal.subject, status="active")
    ).scalar_one_or_none() if principal.kind == "family" else None
    if member is None or (member.role == "applicant" and case.form["applicant"].get("relationship") == "99"):
        raise Forbidden("只有逝者的近亲属可以导出逝者的个人信息（个人信息保护法 第49条）")
    events = db.session.execute(db.select(Event).filter_by(case_id=case.id).order_by(Event.id)).scalars()
    data = {
        "reference": case.reference,
        "exported_at": clock.shanghai(clock.now()).isoformat(),
        "legal_basis": "个人信息保护法 第四十九条",
        "deceased": case.form["deceased"],
        "circumstances": case.form.get("circumstances"),
        "matters": [{"code": m.code, "department": m.department, "status": m.status, "outcome": m.outcome,
                     "effective_date": m.effective_date.isoformat() if m.effective_date else None}
                    for m in case.matters],
        "timeline": [{"at": clock.shanghai(e.created_at).isoformat(), "summary": e.summary} for e in events],
    }
    audit.record(principal=principal, action="export", case_id=case.id, field="deceased", purpose="家属导出（PIPL 第49条）")
    db.session.commit()
    return data


def _redact(form: dict) -> dict:
    form = copy.deepcopy(form)
    for section in ("applicant", "deceased"):
        part = form.get(section, {})
        if part.get("id_number"):
            part["id_number"] = mask_id_number(part["id_number"])
    applicant, deceased = form.get("applicant", {}), form.get("deceased", {})
    if applicant.get("phone"):
        applicant["phone"] = mask_phone(applicant["phone"])
    applicant["address"] = "（已删除）"
    deceased["death_cause"] = "（已删除）"
    for key in ("bank_account", "social_security_card"):
        if deceased.get(key, {}).get("account_number"):
            deceased[key]["account_number"] = mask_account(deceased[key]["account_number"])
    return form


def purge_finished_cases(*, limit: int = 200) -> int:
    """Redact private fields of cases completed more than ``RETENTION_DAYS`` ago (job).

    The masked values stay so the family and supervisors can still read the history.
    """
    cutoff = clock.now() - timedelta(days=current_app.config["RETENTION_DAYS"])
    cases = db.session.execute(
        db.select(Case).filter(Case.status == "completed", Case.completed_at < cutoff, Case.purged_at.is_(None))
        .limit(limit)
    ).scalars().all()
    for case in cases:
        case.form = _redact(case.form)
        for matter in case.matters:
            if matter.outcome.get("payout_account"):
                matter.outcome = {**matter.outcome, "payout_account": mask_account(matter.outcome["payout_account"])}
        case.purged_at = clock.now()
        audit.record(principal=SYSTEM, action="purge", case_id=case.id, purpose="保存期限届满")
    db.session.commit()
    return len(cases)
