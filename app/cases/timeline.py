"""The case timeline (SPEC §5): every change is an event with time and actor."""
from __future__ import annotations

from app.cases.models import Case, Event
from app.extensions import db
from app.notify.service import notify_case


def record_event(
    case: Case,
    *,
    kind: str,
    summary: str,
    actor: str,
    matter_id: str | None = None,
    data: dict | None = None,
    notify: bool = True,
    applicant_only: bool = False,
) -> Event:
    """Append an event (inside the caller's transaction) and, if ``notify``, tell the family.

    ``summary`` is the Chinese sentence the family reads; it must hold no private numbers.
    """
    event = Event(case_id=case.id, kind=kind, summary=summary, actor=actor, matter_id=matter_id, data=data or {})
    db.session.add(event)
    case.version = (case.version or 0) + 1
    if notify:
        notify_case(case, title=_title(kind), body=summary, applicant_only=applicant_only)
    return event


_TITLES = {
    "case_submitted": "申请已提交",
    "case_accepted": "申请已受理",
    "case_completed": "全部事项已办结",
    "matter_dispatched": "事项已推送",
    "matter_accepted": "部门已受理",
    "matter_done": "事项已办结",
    "matter_rejected": "事项需要您处理",
    "matter_not_applicable": "事项无需办理",
    "member_bound": "已关联申请",
}


def _title(kind: str) -> str:
    return _TITLES.get(kind, "办理进度更新")
