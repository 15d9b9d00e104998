"""The completion letter (办结告知): which department confirmed what, once every matter is finished.

Families are asked by banks, insurers and other services for proof that nothing more is owed to
or paid for the deceased, so that no letter keeps arriving addressed to them. The summary lists,
per department, each matter's confirmation: benefits stopped (with the date they stop from),
documents cancelled and certificates issued (with the department's reference), payouts (amount in
fen and yuan, to the masked account) and matters found not to apply (with the reason).

Payout amounts and accounts are shown to the applicant and to staff; other family members see
that a payout was made, not how much (the same rule as the payout messages, SPEC §8).
"""
from __future__ import annotations

from app.catalogue.service import department_name, get_matter
from app.cases.models import Case, CaseMember
from app.cases.service import get_case
from app.extensions import db
from app.identity.tokens import Principal
from app.masking import mask_account
from app.notify.templates import chinese_date, yuan

#: Confirmation kinds, in the order the letter lists them within a department.
KINDS = ("certificate_issued", "document_cancelled", "payment_stopped", "payout", "confirmed", "not_applicable",
         "in_progress")


def _kind(matter) -> str:
    if matter.status == "not_applicable":
        return "not_applicable"
    if matter.status != "done":
        return "in_progress"
    if (matter.outcome or {}).get("payout_amount_fen") is not None:
        return "payout"
    code = matter.code
    if code.endswith("_termination") or code.endswith("_reduction"):
        return "payment_stopped"
    if code.endswith("_cancellation"):
        return "document_cancelled"
    if code.endswith("_certificate"):
        return "certificate_issued"
    return "confirmed"


def _sees_payouts(case: Case, principal: Principal) -> bool:
    if principal.kind == "staff":
        return True
    member = db.session.execute(
        db.select(CaseMember).filter_by(case_id=case.id, user_id=principal.subject, status="active")
    ).scalar_one_or_none()
    return member is not None and member.role == "applicant"


def _confirmation(matter, *, show_payout: bool) -> dict:
    outcome = matter.outcome or {}
    name = get_matter(matter.code)["name"]
    kind = _kind(matter)
    effective = matter.effective_date
    item = {
        "matter_id": matter.id, "matter_code": matter.code, "matter_name": name, "kind": kind,
        "status": matter.status, "finished_at": matter.finished_at,
        "certificate_reference": outcome.get("certificate_reference"),
        "effective_date": effective, "amount_fen": None, "amount_yuan": None, "currency": None, "account": None,
        "reason": matter.reason if matter.status == "not_applicable" else None,
    }
    if kind == "payout" and show_payout:
        item.update(amount_fen=int(outcome["payout_amount_fen"]), amount_yuan=yuan(outcome["payout_amount_fen"]),
                    currency=outcome.get("currency", "CNY"), account=mask_account(outcome.get("payout_account")))
    item["statement"] = _statement(item, name)
    return item


def _statement(item: dict, name: str) -> str:
    ref = f"（编号 {item['certificate_reference']}）" if item["certificate_reference"] else ""
    kind = item["kind"]
    if kind == "payment_stopped":
        since = f"，自{chinese_date(item['effective_date'])}起停发" if item["effective_date"] else ""
        return f"“{name}”已办结{since}。"
    if kind == "document_cancelled":
        return f"“{name}”已办结，证件已注销{ref}。"
    if kind == "certificate_issued":
        return f"“{name}”已办结，证明已出具{ref}。"
    if kind == "payout":
        if item["amount_fen"] is None:
            return f"“{name}”已办结，款项已发放（金额仅申请人可见）。"
        to = f"至账户 {item['account']}" if item["account"] else "至逝者本人账户"
        return f"“{name}”已办结，{item['amount_yuan']}元已发放{to}。"
    if kind == "not_applicable":
        return f"“{name}”无需办理：{item['reason'] or '经核查无需办理'}。"
    if kind == "in_progress":
        return f"“{name}”仍在办理中。"
    return f"“{name}”已办结{ref}。"


def case_letter(*, case_id: str, principal: Principal) -> dict:
    """The completion summary of a case (any time; ``completed`` says whether every matter is finished).

    Out: ``{"case_id", "reference", "status", "completed", "completed_at", "deceased_name",
    "text", "departments": [{"department", "department_name", "confirmations": [{"matter_code",
    "matter_name", "kind", "status", "finished_at", "certificate_reference", "effective_date",
    "amount_fen" (int, fen), "amount_yuan" ("1,234.56"), "currency", "account" (masked), "reason",
    "statement"}]}], "paid_total_fen", "paid_total_yuan"}``; amounts are ``None`` for members who
    may not see them. Raises ``NotFound`` like ``get_case``.
    """
    case = get_case(case_id=case_id, principal=principal)
    show_payout = _sees_payouts(case, principal)
    departments: dict[str, list[dict]] = {}
    for matter in case.matters:
        departments.setdefault(matter.department, []).append(_confirmation(matter, show_payout=show_payout))
    for items in departments.values():
        items.sort(key=lambda i: KINDS.index(i["kind"]))
    paid = [i["amount_fen"] for items in departments.values() for i in items if i["amount_fen"] is not None]
    completed = case.status == "completed"
    text = (f"{case.deceased_name}的身后事项已全部办结。以下是各部门确认的办理结果，可向其他机构出示，"
            "以免再有信件或款项寄往逝者名下。") if completed else "申请仍在办理中，以下是各部门目前确认的结果。"
    return {
        "case_id": case.id, "reference": case.reference, "status": case.status, "completed": completed,
        "completed_at": case.completed_at, "deceased_name": case.deceased_name, "text": text,
        "departments": [{"department": d, "department_name": department_name(d), "confirmations": items}
                        for d, items in departments.items()],
        "paid_total_fen": sum(paid) if show_payout else None,
        "paid_total_yuan": yuan(sum(paid)) if show_payout else None,
    }
