"""The matter lifecycle (SPEC §5): waiting → dispatched → accepted → done | rejected | not applicable.

A matter waits for its prerequisites (catalogue ``waits_for``): a death certificate (from a
``death_certificate`` or ``abnormal_death_certificate`` matter that is done, or recorded as a
material) and, for the hukou, the clipped scans and the originals (湘民发〔2022〕57号 二(四)3,
附件2 注4). When nothing is missing its deadline clock starts and it is queued for dispatch.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from app import clock
from app.calendar.deadlines import compute_due
from app.calendar.service import get_calendar
from app.cases.models import Case, CaseMaterial
from app.cases.timeline import record_event
from app.catalogue.service import department_name, get_matter, prerequisite_name
from app.errors import Conflict, NotFound, RuleViolation
from app.extensions import db
from app.matters.models import FINAL_STATUSES, Matter
from app.tasks import enqueue_after_commit

DISPATCH_JOB = "jobs.matters.dispatch_matter"
PAYOUT_CODES = frozenset(
    {"medical_account_withdrawal", "pension_account_payout", "funeral_subsidy", "survivor_benefit", "housing_fund_withdrawal"}
)


def satisfied_prerequisites(case: Case) -> set[str]:
    """Prerequisite codes the case already has: recorded materials plus what done matters provide."""
    have = {m.kind for m in db.session.execute(db.select(CaseMaterial).filter_by(case_id=case.id)).scalars()}
    for matter in case.matters:
        if matter.status == "done":
            have.update(get_matter(matter.code).get("provides", []))
    return have


def release_ready_matters(case: Case, *, actor: str = "system") -> list[Matter]:
    """Recompute what each waiting matter still lacks; queue those that lack nothing.

    Runs inside the caller's transaction; dispatch jobs are sent after it commits.
    Out: the matters released now.
    """
    if case.status not in {"accepted", "in_progress"}:
        return []
    have = satisfied_prerequisites(case)
    released = []
    for matter in case.matters:
        if matter.status != "waiting" or matter.dispatch_state != "idle":
            continue
        missing = [p for p in matter.requires if p not in have]
        if missing != list(matter.waiting_for or []):
            matter.waiting_for = missing
        if missing or matter.offline:
            continue
        _start_clock(matter, case, clock_name=matter.deadline_spec.get("clock", "ready"), at=clock.now())
        matter.dispatch_state = "pending"
        enqueue_after_commit(DISPATCH_JOB, matter.id)
        released.append(matter)
    return released


def _start_clock(matter: Matter, case: Case, *, clock_name: str, at: datetime) -> None:
    """Store the due time and the rule that produced it (SPEC §4) when the clock starts."""
    if clock_name == "death":
        started = case.died_at
    elif clock_name == "ready":
        started = at
    else:  # event:<name> — started when the department reports that event
        matter.due_state = "awaiting_event"
        matter.deadline_rule = _rule_text_pending(matter)
        return
    _apply_due(matter, started)


def _apply_due(matter: Matter, started: datetime) -> None:
    calendar = get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])
    due = compute_due(matter.deadline_spec, started, calendar)
    matter.clock_started_at = started
    matter.due_state = due.state
    matter.due_at = due.due_at
    # Only the welfare terminations have an effective date (次月终止); others have a due time.
    matter.effective_date = due.effective_date if matter.deadline_spec.get("kind") == "next_month_start" else None
    matter.deadline_rule = due.rule_text


def _rule_text_pending(matter: Matter) -> str:
    spec = matter.deadline_spec
    if spec.get("kind") == "hours_after_event":
        return f"火化后{spec.get('hours')}小时内"
    return "待相关环节完成后起算"


def mark_dispatched(matter: Matter) -> None:
    """The department received the matter (inside the caller's transaction)."""
    matter.dispatch_state = "sent"
    matter.dispatch_error = None
    matter.dispatched_at = matter.dispatched_at or clock.now()
    case = matter.case
    if matter.status == "waiting":
        matter.status = "dispatched"
        record_event(
            case,
            kind="matter_dispatched",
            summary=f"“{_name(matter)}”已推送至{department_name(matter.department)}办理",
            actor="system",
            matter_id=matter.id,
            notify=False,  # on the timeline; the inbox keeps to what the family must know
        )
    if case.status == "accepted":
        case.status = "in_progress"


def mark_dispatch_failed(matter: Matter, *, reason: str) -> None:
    """The department could not be reached or refused the submission for good."""
    matter.dispatch_state = "failed"
    matter.dispatch_error = reason[:300]
    record_event(
        matter.case,
        kind="matter_dispatch_failed",
        summary=f"“{_name(matter)}”暂时未能推送，工作人员会尽快处理",
        actor="system",
        matter_id=matter.id,
        notify=False,
    )


REPORT_STATUSES = ("accepted", "done", "rejected", "not_applicable")


def record_department_report(
    *,
    matter: Matter,
    department: str,
    status: str,
    outcome: dict | None = None,
    reason: str | None = None,
    events: dict | None = None,
    actor: str,
) -> bool:
    """Apply one department report to ``matter`` (inside the caller's transaction).

    ``status`` is one of ``accepted``, ``done``, ``rejected``, ``not_applicable``. ``outcome``
    for ``done``: ``certificate_reference``, ``payout_amount_fen`` (int, CNY fen),
    ``payout_account`` (the receiving account, stored as given, masked in answers),
    ``effective_date`` (ISO date). ``events``: e.g. ``{"cremated_at": ISO 8601}`` starts the
    cremation certificate's 4-hour clock (湘民发〔2022〕57号 二(四)2).
    Out: ``True`` if the matter changed. A report about a final matter changes nothing; a
    ``done`` that arrives before ``accepted`` is applied and the late ``accepted`` ignored.
    Raises :class:`NotFound` when the matter is not this department's, :class:`Conflict`
    for a report the matter's state cannot take.
    """
    if matter.department != department:
        raise NotFound("没有找到该事项")
    if status not in REPORT_STATUSES:
        raise RuleViolation("未知的办理状态", errors={"status": ["取值不在允许范围内"]})
    if matter.status in FINAL_STATUSES:
        return False
    if matter.status == "waiting" and matter.dispatch_state not in {"pending", "sent", "failed"}:
        raise Conflict("该事项尚未推送，不能报告办理结果")
    now = clock.now()
    case = matter.case
    if matter.status == "waiting":  # the report overtook our own dispatch bookkeeping
        mark_dispatched(matter)
    if events and events.get("cremated_at") and matter.due_state == "awaiting_event":
        _apply_due(matter, _parse_time(events["cremated_at"]))
    name = _name(matter)
    if status == "accepted":
        if matter.status != "dispatched":
            return False
        matter.status, matter.accepted_at = "accepted", now
        record_event(case, kind="matter_accepted", summary=f"{department_name(department)}已受理“{name}”",
                     actor=actor, matter_id=matter.id, notify=False)
    elif status == "done":
        matter.status, matter.finished_at = "done", now
        matter.outcome = _clean_outcome(outcome or {})
        if matter.outcome.get("effective_date") and matter.effective_date is None:
            matter.effective_date = date.fromisoformat(matter.outcome["effective_date"])
        record_event(case, kind="matter_done", summary=_done_summary(matter, name), actor=actor,
                     matter_id=matter.id, applicant_only=matter.code in PAYOUT_CODES)
        release_ready_matters(case)
    elif status == "rejected":
        if not reason:
            raise RuleViolation("退回时必须说明原因", errors={"reason": ["请填写退回原因"]})
        matter.status, matter.reason = "rejected", reason[:300]
        record_event(case, kind="matter_rejected", summary=f"“{name}”需要补充或更正：{matter.reason}",
                     actor=actor, matter_id=matter.id)
    else:  # not_applicable
        matter.status, matter.finished_at = "not_applicable", now
        matter.reason = (reason or "经核查无需办理")[:300]
        record_event(case, kind="matter_not_applicable", summary=f"“{name}”无需办理：{matter.reason}",
                     actor=actor, matter_id=matter.id)
    _maybe_complete(case)
    return True


def _maybe_complete(case: Case) -> None:
    if case.status in {"accepted", "in_progress"} and case.matters and all(
        m.status in FINAL_STATUSES for m in case.matters
    ):
        case.status, case.completed_at = "completed", clock.now()
        record_event(case, kind="case_completed", summary=f"{case.deceased_name}的身后事项已全部办结。",
                     actor="system")


def _done_summary(matter: Matter, name: str) -> str:
    outcome = matter.outcome
    if matter.effective_date and matter.code.endswith("_termination"):
        return f"“{name}”已办结，待遇自{matter.effective_date.year}年{matter.effective_date.month}月{matter.effective_date.day}日起停发"
    if outcome.get("payout_amount_fen") is not None:
        yuan = outcome["payout_amount_fen"] / 100
        return f"“{name}”已办结，{yuan:,.2f}元将发放至逝者本人账户"
    return f"“{name}”已办结"


def _clean_outcome(outcome: dict) -> dict:
    allowed = {"certificate_reference", "payout_amount_fen", "payout_account", "effective_date", "note"}
    clean = {k: v for k, v in outcome.items() if k in allowed and v is not None}
    if "payout_amount_fen" in clean:
        clean["payout_amount_fen"] = int(clean["payout_amount_fen"])
        clean["currency"] = "CNY"
    return clean


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.SHANGHAI)
    return parsed


def _name(matter: Matter) -> str:
    return get_matter(matter.code)["name"]


def get_matter_row(matter_id: str) -> Matter:
    matter = db.session.get(Matter, matter_id)
    if matter is None:
        raise NotFound("没有找到该事项")
    return matter
