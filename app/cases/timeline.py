"""The case timeline (SPEC §5): every change is an event with time and actor."""
from __future__ import annotations

from app.cases.models import Case, Event
from app.extensions import db
from app.matters.models import Matter
from app.notify.fanout import fan_out


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
    urgent: bool | None = None,
) -> Event:
    """Append an event (inside the caller's transaction) and, if ``notify``, tell the family.

    ``summary`` is the Chinese sentence the family reads; it must hold no private numbers.
    Telling the family (``app.notify.fanout``): the template of ``kind`` decides who is told
    (``applicant_only`` narrows it to the applicant) and through which channels; ``urgent``
    overrides the template's urgency (urgent news ignores quiet hours). Bumps ``case.version``,
    which the case's ``ETag`` is made from.
    """
    event = Event(case_id=case.id, kind=kind, summary=summary, actor=actor, matter_id=matter_id, data=data or {})
    db.session.add(event)
    case.version = (case.version or 0) + 1
    if notify:
        db.session.flush()  # the event's id keys its notifications
        matter = db.session.get(Matter, matter_id) if matter_id else None
        fan_out(case, event, matter=matter, applicant_only=applicant_only, urgent=urgent, fallback_title=_title(kind))
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
    "accepted_with_missing_materials": "尚需补充材料",
    "supplement_requested": "请补充材料",
    "supplement_completed": "材料已收齐",
    "originals_handed_in": "原件已交回",
}


def _title(kind: str) -> str:
    return _TITLES.get(kind, "办理进度更新")
