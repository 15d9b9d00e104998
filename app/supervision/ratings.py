"""好差评: a bound family member rates each finished matter; a 差评 opens a rectification item.

Levels are the national five of 国办发〔2019〕51号 (政务服务“好差评”制度): 5 非常满意, 4 满意,
3 基本满意, 2 不满意, 1 非常不满意. 不满意 or worse opens a rectification item (整改) for the
matter's department, due in 15 working days on the official calendar (民法典 第201条: the day
of the rating is not counted), which the supervisor sees.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import clock
from app.calendar.deadlines import compute_due
from app.calendar.service import WorkingDayCalendar, get_calendar
from app.cases.service import get_case
from app.cases.timeline import record_event
from app.catalogue.service import get_matter
from app.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.extensions import db
from app.identity.tokens import Principal
from app.matters.models import FINAL_STATUSES, Matter
from app.supervision.alerts import report_calendar_gap
from app.supervision.models import BAD_RATING_MAX, RATING_LEVELS, MatterRating, Rectification

#: 差评整改 time limit: 15 working days.
RECTIFICATION_RULE = {"kind": "working_days", "days": 15}
COMMENT_MAX = 200


def rate_matter(*, case_id: str, matter_id: str, level: int, comment: str | None, principal: Principal) -> MatterRating:
    """Record ``principal``'s rating of a finished matter (``done`` or ``not_applicable``).

    ``level``: 1–5 (see module docstring); ``comment``: at most 200 characters, optional.
    Out: the rating, with its ``rectification`` when ``level`` ≤ 2. Raises :class:`Forbidden`
    for staff, :class:`NotFound` when the caller is not bound to the case or the matter is not
    the case's, :class:`Conflict` (``matter_not_finished``) before the matter is finished and
    (``already_rated``) for a second rating by the same member, :class:`RuleViolation` for a
    level or comment out of range.
    """
    if principal.kind != "family":
        raise Forbidden("只有家属可以评价办理服务")
    if level not in RATING_LEVELS:
        raise RuleViolation("评价等级不正确", errors={"level": ["应为 1 到 5：5 非常满意 … 1 非常不满意"]})
    if comment is not None and len(comment) > COMMENT_MAX:
        raise RuleViolation("评价内容太长", errors={"comment": [f"最多 {COMMENT_MAX} 个字"]})
    case = get_case(case_id=case_id, principal=principal)
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.case_id != case.id:
        raise NotFound("没有找到该事项")
    if matter.status not in FINAL_STATUSES:
        raise Conflict("该事项办结后才能评价", code="matter_not_finished")
    if _rating_of(matter.id, principal.subject) is not None:
        raise Conflict("您已评价过该事项，每个事项只能评价一次", code="already_rated")

    rating = MatterRating(case_id=case.id, matter_id=matter.id, user_id=principal.subject, level=level)
    db.session.add(rating)
    db.session.flush()  # the sealed comment is bound to the row's id
    rating.comment = comment or None
    name = get_matter(matter.code)["name"]
    summary = f"已收到对“{name}”的评价（{RATING_LEVELS[level]}），感谢您的反馈。"
    if level <= BAD_RATING_MAX:
        _open_rectification(rating, matter)
        summary = f"已收到对“{name}”的评价（{RATING_LEVELS[level]}），监督部门将督促办理部门整改。"
    record_event(case, kind="matter_rated", summary=summary, actor=f"family:{principal.subject}",
                 matter_id=matter.id, notify=False)
    try:
        db.session.commit()
    except IntegrityError:  # the same member's second tap raced the first
        db.session.rollback()
        raise Conflict("您已评价过该事项，每个事项只能评价一次", code="already_rated") from None
    return rating


def _rating_of(matter_id: str, user_id: str) -> MatterRating | None:
    query = db.select(MatterRating).filter_by(matter_id=matter_id, user_id=user_id)
    return db.session.execute(query).scalar_one_or_none()


def _open_rectification(rating: MatterRating, matter: Matter) -> Rectification:
    calendar = get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])
    opened = clock.now()
    due = compute_due(RECTIFICATION_RULE, opened, calendar)
    item = Rectification(rating_id=rating.id, case_id=matter.case_id, matter_id=matter.id, matter_code=matter.code,
                         department=matter.department,
                         status="open", opened_at=opened, due_state=due.state, due_at=due.due_at,
                         deadline_rule=due.rule_text)
    db.session.add(item)
    db.session.flush()
    if due.state == "pending_calendar":
        report_calendar_gap(year=due.missing_year, subject=f"rectification {item.id}")
    rating.rectification = item
    return item


def recompute_pending_rectifications(*, calendar: WorkingDayCalendar, limit: int = 1000) -> int:
    """Count again the due times of open rectification items left ``pending_calendar``
    (inside the caller's transaction). Out: how many now have their due time."""
    query = db.select(Rectification).filter_by(status="open", due_state="pending_calendar").limit(limit)
    done = 0
    for item in db.session.execute(query).scalars():
        due = compute_due(RECTIFICATION_RULE, item.opened_at, calendar)
        if due.state != "pending_calendar":
            item.due_state, item.due_at, item.deadline_rule = due.state, due.due_at, due.rule_text
            done += 1
    return done
