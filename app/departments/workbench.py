"""The department workbench (offices without a system) and the dead-letter list.

A department officer sees the matters of their department in their county (the deceased's
household registration, GB/T 2260) and reports on them exactly as a system would by callback.
"""
from __future__ import annotations

from app import clock
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.identity.tokens import Principal
from app.matters.models import Matter
from app.matters.service import DISPATCH_JOB, record_department_report
from app.tasks import enqueue_after_commit

OPEN_STATUSES = ("dispatched", "accepted")


def scope_prefix(division_code: str | None) -> str:
    """430000 → "43", 430100 → "4301", 430104 → "430104" (GB/T 2260 levels)."""
    code = division_code or ""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


def _in_county(matter: Matter, principal: Principal) -> bool:
    household = matter.case.form["deceased"]["household_registration"]["division_code"]
    return household.startswith(scope_prefix(principal.county_code))


def _officer(principal: Principal) -> None:
    if principal.kind != "staff" or principal.role != "department_officer" or not principal.department:
        raise Forbidden("只有部门经办人员可以使用工作台")


def list_matters(*, principal: Principal, status: str | None = None, limit: int = 200) -> list[Matter]:
    """Open matters (or those of ``status``) of the officer's department and county, oldest first."""
    _officer(principal)
    statuses = (status,) if status else OPEN_STATUSES
    query = (
        db.select(Matter)
        .filter(Matter.department == principal.department, Matter.status.in_(statuses))
        .order_by(Matter.dispatched_at.asc().nullsfirst(), Matter.id)
        .limit(limit * 5)
    )
    return [m for m in db.session.execute(query).scalars() if _in_county(m, principal)][:limit]


def get_matter_for_officer(*, matter_id: str, principal: Principal) -> Matter:
    """One matter in the officer's scope; the same :class:`NotFound` for foreign and unknown ids."""
    _officer(principal)
    matter = db.session.get(Matter, matter_id, with_for_update=True)
    if matter is None or matter.department != principal.department or not _in_county(matter, principal):
        raise NotFound("没有找到该事项")
    return matter


def report(*, matter_id: str, principal: Principal, status: str, outcome: dict | None = None,
           reason: str | None = None) -> Matter:
    """Accept, finish (with outcome), reject (with a reason) or close as not applicable."""
    matter = get_matter_for_officer(matter_id=matter_id, principal=principal)
    record_department_report(matter=matter, department=principal.department, status=status, outcome=outcome,
                             reason=reason, actor=f"staff:{principal.subject}")
    db.session.commit()
    return matter


def dead_letters(*, principal: Principal, limit: int = 200) -> list[Matter]:
    """Matters whose dispatch failed for good, newest first (admin and supervisors)."""
    if principal.kind != "staff" or principal.role not in {"admin", "supervisor"}:
        raise Forbidden()
    query = db.select(Matter).filter_by(dispatch_state="failed").order_by(Matter.updated_at.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def redrive(*, matter_id: str, principal: Principal) -> Matter:
    """Queue a dead-lettered matter again (admin). The same attempt keeps its ``Idempotency-Key``,
    so a department that did receive it applies it once."""
    if principal.kind != "staff" or principal.role != "admin":
        raise Forbidden()
    matter = db.session.get(Matter, matter_id, with_for_update=True)
    if matter is None or matter.dispatch_state != "failed":
        raise NotFound("没有找到待重新推送的事项")
    matter.dispatch_state, matter.dispatch_tries, matter.next_attempt_at = "pending", 0, None
    matter.updated_at = clock.now()
    enqueue_after_commit(DISPATCH_JOB, matter.id)
    db.session.commit()
    return matter
