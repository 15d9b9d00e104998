"""The matter lifecycle (SPEC §5): waiting → dispatched → accepted → done | rejected | not applicable.

A matter waits for its prerequisites (catalogue ``waits_for``): a death certificate (from a
``death_certificate`` or ``abnormal_death_certificate`` matter that is done, or recorded as a
material) and, for the hukou, the clipped scans and the originals (湘民发〔2022〕57号 二(四)3,
附件2 注4). When nothing is missing its deadline clock starts and it is queued for dispatch.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app

from app import clock
from app.calendar.deadlines import compute_due
from app.calendar.service import get_calendar
from app.cases.models import Case
from app.cases.timeline import record_event
from app.catalogue.service import department_name, get_matter, load_catalogue, prerequisite_name
from app.errors import Conflict, NotFound, RuleViolation
from app.extensions import db
from app.matters.models import FINAL_STATUSES, Matter
from app.supervision.alerts import report_calendar_gap
from app.tasks import enqueue_after_commit

DISPATCH_JOB = "jobs.matters.dispatch_matter"
PAYOUT_CODES = frozenset(
    {"medical_account_withdrawal", "pension_account_payout", "funeral_subsidy", "survivor_benefit", "housing_fund_withdrawal"}
)


def satisfied_prerequisites(case: Case) -> set[str]:
    """Prerequisite codes the case already has: recorded materials and facts, what done matters
    provide (unless their outcome withholds it, e.g. a medical-account refund still owed,
    附件2 注2), and prerequisites assumed when no matter of the case provides them."""
    catalogue = load_catalogue()
    entries = {entry["code"]: entry for entry in catalogue["matters"]}
    have = {m.kind for m in case.materials}
    provided_by_case: set[str] = set()
    for matter in case.matters:
        entry = entries.get(matter.code, {})
        provided_by_case.update(entry.get("provides", []))
        if matter.status != "done":
            continue
        withheld = {p for field, p in entry.get("withheld_by_outcome", {}).items() if (matter.outcome or {}).get(field)}
        have.update(set(entry.get("provides", [])) - withheld)
    have.update(set(catalogue.get("assumed_without_provider", [])) - provided_by_case)
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


def _apply_due(matter: Matter, started: datetime, *, alert: bool = True) -> None:
    calendar = get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"])
    due = compute_due(matter.deadline_spec, started, calendar)
    matter.clock_started_at = started
    matter.due_state = due.state
    matter.due_at = due.due_at
    # Only the welfare terminations have an effective date (次月终止); others have a due time.
    matter.effective_date = due.effective_date if matter.deadline_spec.get("kind") == "next_month_start" else None
    matter.deadline_rule = due.rule_text
    if due.state == "pending_calendar" and alert:
        report_calendar_gap(year=due.missing_year, subject=f"matter {matter.id}")


def recompute_pending_due(matter: Matter) -> bool:
    """Count again a deadline left ``pending_calendar`` now that the operator may have added the
    missing year to the calendar (inside the caller's transaction; no new operator alert).
    Out: ``True`` if the matter now has its deadline."""
    if matter.due_state != "pending_calendar" or matter.clock_started_at is None:
        return False
    _apply_due(matter, matter.clock_started_at, alert=False)
    return matter.due_state != "pending_calendar"


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
    reason = (reason or "").strip() or None
    _check_report(matter, status=status, outcome=outcome or {}, events=events or {})
    if events and events.get("refund_settled"):
        return _record_refund_settled(matter, actor=actor)
    if matter.status in FINAL_STATUSES:
        return False
    if matter.status == "waiting" and matter.dispatch_state not in {"pending", "sent", "failed"}:
        raise Conflict("该事项尚未推送，不能报告办理结果")
    now = clock.now()
    case = matter.case
    if matter.status == "waiting":  # the report overtook our own dispatch bookkeeping
        mark_dispatched(matter)
    if events and events.get("cremated_at") and matter.due_state == "awaiting_event":
        cremated = events["cremated_at"]
        _apply_due(matter, _parse_time(cremated) if isinstance(cremated, str) else cremated)
    name = _name(matter)
    if status == "accepted":
        if matter.status != "dispatched":
            return False
        matter.status, matter.accepted_at = "accepted", now
        # The funeral home contacts the family the day it accepts (湘民发〔2022〕57号 二(四)2): tell them now.
        record_event(case, kind="matter_accepted", summary=f"{department_name(department)}已受理“{name}”",
                     actor=actor, matter_id=matter.id, notify=matter.code == "cremation_certificate")
    elif status == "done":
        matter.status, matter.finished_at = "done", now
        matter.outcome = _clean_outcome(outcome or {})
        if matter.outcome.get("effective_date") and matter.effective_date is None:
            matter.effective_date = _as_date(matter.outcome["effective_date"])
        record_event(case, kind="matter_done", summary=_done_summary(matter, name), actor=actor,
                     matter_id=matter.id, applicant_only=matter.code in PAYOUT_CODES)
        if matter.outcome.get("refund_required_fen"):
            yuan = matter.outcome["refund_required_fen"] / 100
            record_event(case, kind="refund_required", actor=actor, matter_id=matter.id, applicant_only=True,
                         summary=f"因死亡证明开具较晚，医保个人账户多划拨了{yuan:,.2f}元，需先退回医保部门，"
                                 "养老保险个人账户待遇和丧葬补助金才能继续办理（附件2 注2）。"
                                 "医保部门会联系您办理退回。")
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


def _record_refund_settled(matter: Matter, *, actor: str) -> bool:
    """Medical security confirms the over-credited money came back: release the gated matters."""
    case = matter.case
    if not case.receive_material("medical_refund_settled", recorded_by=actor):
        return False
    record_event(case, kind="refund_settled", actor=actor, matter_id=matter.id,
                 summary="医保部门已确认多划拨金额退回，相关待遇继续办理。")
    release_ready_matters(case)
    return True


def resubmit_matter(matter: Matter, *, actor: str) -> None:
    """Send a rejected matter again as a new attempt (new ``Idempotency-Key``) after the family
    corrected the data or cleared the obstacle (inside the caller's transaction).
    Raises :class:`Conflict` unless the matter is ``rejected``."""
    if matter.status != "rejected":
        raise Conflict("只有被退回的事项可以重新提交")
    matter.attempt += 1
    matter.status, matter.dispatch_state, matter.dispatch_tries = "waiting", "idle", 0
    matter.dispatch_error = matter.next_attempt_at = matter.dispatched_at = matter.accepted_at = None
    matter.waiting_for = list(matter.requires)
    record_event(matter.case, kind="matter_resubmitted", actor=actor, matter_id=matter.id, notify=False,
                 summary=f"“{_name(matter)}”已重新提交")
    release_ready_matters(matter.case, actor=actor)


def complete_offline_matter(matter: Matter, *, outcome: dict, actor: str) -> None:
    """A matter the department handles offline (catalogue ``offline``, e.g. the abnormal-death
    certificate the police issue after assessment, 湘民发〔2022〕57号 二(四)1) is recorded done
    by the window with its ``outcome`` (``certificate_reference``, ``note``); what waited for it
    is released (inside the caller's transaction). Raises :class:`Conflict` unless the matter is
    an offline one still waiting."""
    if not matter.offline or matter.status != "waiting":
        raise Conflict("该事项不是待线下办结的事项，或已办结")
    matter.status, matter.finished_at = "done", clock.now()
    matter.outcome = _clean_outcome(outcome)
    record_event(matter.case, kind="matter_done", summary=_done_summary(matter, _name(matter)), actor=actor,
                 matter_id=matter.id)
    release_ready_matters(matter.case)
    _maybe_complete(matter.case)


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
    allowed = {"certificate_reference", "payout_amount_fen", "payout_account", "effective_date", "note",
               "refund_required_fen"}
    clean = {k: v for k, v in outcome.items() if k in allowed and v is not None}
    if isinstance(clean.get("effective_date"), date):
        clean["effective_date"] = clean["effective_date"].isoformat()
    if "payout_amount_fen" in clean:
        clean["payout_amount_fen"] = int(clean["payout_amount_fen"])
        clean["currency"] = "CNY"
    return clean


def _check_report(matter: Matter, *, status: str, outcome: dict, events: dict) -> None:
    """Refuse reports that cannot be true of this matter (money, dates), with the field named."""
    case, errors = matter.case, {}
    has_payout = outcome.get("payout_amount_fen") is not None or outcome.get("payout_account")
    if has_payout and matter.code not in PAYOUT_CODES:
        errors["outcome.payout_amount_fen"] = ["该事项不涉及发放资金"]
    if outcome.get("payout_account"):
        own = {(case.form["deceased"].get(k) or {}).get("account_number") for k in ("bank_account", "social_security_card")}
        if outcome["payout_account"] not in own:
            errors["outcome.payout_account"] = ["资金只能发放至逝者本人银行Ⅰ类账户或社保卡账户（湘民发〔2022〕57号 二(四)）"]
    if status == "done" and matter.code in PAYOUT_CODES and outcome.get("payout_amount_fen") is None:
        errors["outcome.payout_amount_fen"] = ["办结发放类事项时请填写发放金额（分）"]
    reported = outcome.get("effective_date")
    if reported and matter.effective_date and _as_date(reported) != matter.effective_date:
        errors["outcome.effective_date"] = [f"停发日期应为{matter.effective_date.isoformat()}（死亡次月1日）"]
    cremated = (events or {}).get("cremated_at")
    if cremated is not None:
        cremated = _parse_time(cremated) if isinstance(cremated, str) else cremated
        if cremated > clock.now() + timedelta(minutes=5) or cremated < case.died_at:
            errors["events.cremated_at"] = ["火化时间应在死亡之后、当前时间之前"]
    if errors:
        raise RuleViolation("报告内容有误", errors=errors, code="invalid_report")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


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
