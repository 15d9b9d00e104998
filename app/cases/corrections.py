"""Correcting a case after a department sent a matter back (补正), and sending it again.

A rejection carries a reason the family can act on; the applicant (or the clerk of the case's
window) corrects the fields concerned and every rejected matter goes out again as a new attempt.
"""
from __future__ import annotations

import copy

from marshmallow import ValidationError

from app.cases.models import Case, CaseMember
from app.cases.service import get_case
from app.cases.timeline import record_event
from app.errors import Forbidden, NotFound, RuleViolation
from app.extensions import db
from app.identity.tokens import Principal
from app.matters.models import Matter
from app.matters.service import resubmit_matter

#: What a family may correct without a new application: where money goes and how to reach them.
CORRECTABLE = {
    "deceased": {"bank_account", "social_security_card"},
    "applicant": {"phone", "address"},
}


def _actor_for_change(case: Case, principal: Principal) -> str:
    """Only the applicant or the clerk of the case's window may change a case."""
    if principal.kind == "staff":
        if principal.role == "clerk" and case.window_id and case.window_id == principal.window_id:
            return f"staff:{principal.subject}"
        raise Forbidden("只有申请人或受理窗口可以更正申请")
    member = db.session.execute(
        db.select(CaseMember).filter_by(case_id=case.id, user_id=principal.subject, status="active", role="applicant")
    ).scalar_one_or_none()
    if member is None:
        raise Forbidden("只有申请人本人可以更正申请")
    return f"family:{principal.subject}"


def correct_case(*, case_id: str, principal: Principal, changes: dict) -> Case:
    """Apply ``changes`` (``{"deceased": {"bank_account": {...}}, "applicant": {"phone": ...}}``,
    only :data:`CORRECTABLE` fields) and resubmit every rejected matter.

    The merged form is validated again in full (SPEC §2 cross-checks). Raises
    :class:`RuleViolation` for invalid data or a field that cannot be corrected this way.
    """
    from schemas.form import ApplicationFormSchema  # the form's own rules, in one place

    case = get_case(case_id=case_id, principal=principal)
    actor = _actor_for_change(case, principal)
    if case.status not in {"accepted", "in_progress"}:
        raise RuleViolation("申请当前状态不能更正", code="case_not_open")
    bad = {f"{section}.{field}": ["此项不能在这里更正，请联系受理窗口"]
           for section, fields in changes.items() for field in fields
           if field not in CORRECTABLE.get(section, set())}
    if bad or not changes:
        raise RuleViolation("没有可更正的内容", errors=bad or {"_schema": ["请填写要更正的内容"]})
    merged = copy.deepcopy(case.form)
    for section, fields in changes.items():
        merged[section].update(fields)
    try:
        loaded = ApplicationFormSchema().load(merged)
    except ValidationError as err:
        raise RuleViolation("更正后的信息有误，请按提示修改", errors=err.messages, code="validation_failed") from None
    from app.cases.service import _jsonable

    case.form = _jsonable(loaded)
    names = "、".join(_label(section, field) for section, fields in changes.items() for field in fields)
    record_event(case, kind="form_corrected", actor=actor, notify=False, summary=f"申请信息已更正：{names}")
    for matter in list(case.matters):
        if matter.status == "rejected":
            resubmit_matter(matter, actor=actor)
    db.session.commit()
    return case


def resubmit(*, case_id: str, matter_id: str, principal: Principal) -> Case:
    """Send one rejected matter again unchanged (e.g. after a provident-fund loan was settled or
    an account unfrozen, 附件2 注3). Raises :class:`NotFound`, :class:`Forbidden`, ``Conflict``."""
    case = get_case(case_id=case_id, principal=principal)
    actor = _actor_for_change(case, principal)
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.case_id != case.id:
        raise NotFound("没有找到该事项")
    resubmit_matter(matter, actor=actor)
    db.session.commit()
    return case


_LABELS = {"bank_account": "逝者银行Ⅰ类账户", "social_security_card": "逝者社保卡账户", "phone": "联系电话",
           "address": "申请人地址"}


def _label(section: str, field: str) -> str:
    return _LABELS.get(field, f"{section}.{field}")
