"""The SLA scan: reminds once before the due time, marks overdue once, alerts the supervisor,
and computes deadlines left pending once the operator adds the missing year."""
import logging

import app.tasks
from tests.calendar.conftest import FICTIONAL_2027
from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example
from tests.supervision.conftest import (
    bind_family,
    matter_row,
    run_scan,
    seed_case,
    shanghai,
    write_calendar_years,
)


def _records(stack, matter_id: str) -> list[str]:
    from app.extensions import db
    from app.supervision.models import SupervisionRecord

    with stack.app.app_context():
        return sorted(db.session.execute(db.select(SupervisionRecord.kind).filter_by(matter_id=matter_id)).scalars())


def _events(stack, case_id: str, kind: str) -> list:
    from app.cases.models import Event
    from app.extensions import db

    with stack.app.app_context():
        rows = db.session.execute(db.select(Event).filter_by(case_id=case_id, kind=kind)).scalars().all()
        return [(e.matter_id, e.summary) for e in rows]


def test_hukou_matter_is_reminded_once_then_marked_overdue_once(supervision_stack, frozen_clock):
    stack = supervision_stack
    # 户口注销, 2 working days from Monday 2025-03-03: due at the end of Wednesday 03-05.
    started = shanghai("2025-03-03T10:00:00+08:00")
    seeded = seed_case(stack, matters={"hukou_cancellation": {
        "clock_started_at": started, "dispatched_at": started, "due_state": "scheduled",
        "due_at": shanghai("2025-03-05T23:59:59+08:00")}})
    hukou = seeded.matters["hukou_cancellation"]

    frozen_clock(shanghai("2025-03-04T20:00:00+08:00"))  # 28 hours before: too early
    run_scan(stack)
    assert matter_row(stack, hukou).reminded_at is None

    frozen_clock(shanghai("2025-03-05T09:00:00+08:00"))  # within the last 24 hours
    run_scan(stack)
    run_scan(stack)
    reminded = matter_row(stack, hukou)
    assert reminded.reminded_at == shanghai("2025-03-05T09:00:00+08:00") and reminded.overdue_at is None
    assert _records(stack, hukou) == ["due_reminder"]

    frozen_clock(shanghai("2025-03-06T00:30:00+08:00"))  # the due day has ended
    run_scan(stack)
    run_scan(stack)
    overdue = matter_row(stack, hukou)
    assert overdue.overdue_at == shanghai("2025-03-06T00:30:00+08:00") and overdue.overdue
    assert _records(stack, hukou) == ["due_reminder", "overdue"]
    assert _events(stack, seeded.case_id, "matter_overdue") == [
        (hukou, "“死亡人员户口注销”已超过办结时限（2025年3月5日），已提请监督部门督办。")]


def test_overdue_is_on_the_timeline_and_the_case_view_but_not_pushed(supervision_stack, frozen_clock):
    stack = supervision_stack
    seeded = seed_case(stack, matters={"medical_insurance_reduction": {
        "clock_started_at": shanghai("2025-03-10T10:00:00+08:00"), "due_state": "scheduled",
        "due_at": shanghai("2025-03-17T23:59:59+08:00")}})
    frozen_clock(shanghai("2025-03-18T08:00:00+08:00"))
    daughter = bind_family(stack, seeded)
    run_scan(stack)
    case = daughter.get(f"/api/v1/cases/{seeded.case_id}", expect=200).json()
    matter = case["matters"][0]
    assert (matter["overdue"], matter["due_at"]) == (True, "2025-03-17T23:59:59+08:00")
    timeline = daughter.get(f"/api/v1/cases/{seeded.case_id}/timeline", expect=200).json()
    assert [e["kind"] for e in timeline] == ["matter_overdue"]
    assert daughter.get("/api/v1/me/messages", expect=200).json() == []


def test_a_four_hour_clock_is_reminded_at_half_time(supervision_stack, frozen_clock):
    stack = supervision_stack
    # 火化后4小时内: cremated 10:00, certificate due 14:00; reminded from 12:00, not 24 hours before.
    seeded = seed_case(stack, matters={"cremation_certificate": {
        "clock_started_at": shanghai("2025-03-12T10:00:00+08:00"), "due_state": "scheduled",
        "due_at": shanghai("2025-03-12T14:00:00+08:00")}})
    cremation = seeded.matters["cremation_certificate"]
    frozen_clock(shanghai("2025-03-12T11:59:00+08:00"))
    run_scan(stack)
    assert matter_row(stack, cremation).reminded_at is None
    frozen_clock(shanghai("2025-03-12T12:00:00+08:00"))
    run_scan(stack)
    assert matter_row(stack, cremation).reminded_at is not None
    frozen_clock(shanghai("2025-03-12T14:01:00+08:00"))
    run_scan(stack)
    assert _events(stack, seeded.case_id, "matter_overdue")[0][1].endswith("（2025年3月12日14:00），已提请监督部门督办。")


def test_finished_rejected_business_rule_and_welfare_matters_are_not_marked(supervision_stack, frozen_clock):
    stack = supervision_stack
    past = shanghai("2025-03-20T23:59:59+08:00")
    seeded = seed_case(stack, matters={
        "hukou_cancellation": {"status": "done", "finished_at": shanghai("2025-03-20T10:00:00+08:00"),
                               "due_state": "scheduled", "due_at": past},
        "driving_licence_cancellation": {"status": "rejected", "due_state": "scheduled", "due_at": past},
        "pension_account_payout": {"due_state": "no_fixed_deadline"},
        # 次月终止 is the date the benefit stops, not a handling time limit.
        "elderly_subsidy_termination": {"due_state": "scheduled", "due_at": shanghai("2025-03-01T00:00:00+08:00")},
    })
    frozen_clock(shanghai("2025-03-25T10:00:00+08:00"))
    run_scan(stack)
    for matter_id in seeded.matters.values():
        row = matter_row(stack, matter_id)
        assert (row.reminded_at, row.overdue_at, row.overdue) == (None, None, False)
    assert _events(stack, seeded.case_id, "matter_overdue") == []


def test_matter_finished_late_counts_as_overdue_in_the_case_view(supervision_stack):
    stack = supervision_stack
    seeded = seed_case(stack, matters={"medical_insurance_reduction": {
        "status": "done", "due_state": "scheduled", "due_at": shanghai("2025-03-07T23:59:59+08:00"),
        "finished_at": shanghai("2025-03-10T09:00:00+08:00")}})
    assert matter_row(stack, seeded.matters["medical_insurance_reduction"]).overdue


def test_deadline_pending_on_the_calendar_alerts_the_operator_and_is_computed_once_the_year_is_added(
        supervision_stack, frozen_clock, monkeypatch, caplog):
    """Filed on 2026-12-01: 30 working days need 2027, which the calendar lacks (15 do not)."""
    stack = supervision_stack
    frozen_clock(shanghai("2026-12-01T10:00:00+08:00"))
    form = fresh_worked_example()
    clerk = Api(stack.base_url).as_staff()
    supervisor = Api(stack.base_url).as_staff("t.supervisor.cs")
    # Keep the matters with us: their dispatch jobs are dropped, so none finishes meanwhile.
    monkeypatch.setattr(app.tasks, "enqueue", lambda *args, **kwargs: None)
    # Alembic's fileConfig, run in this process by the stack's migrations, disabled the loggers
    # that existed then; a deployed API process never migrates in-process.
    monkeypatch.setattr(logging.getLogger("app.supervision.alerts"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="app.supervision.alerts"):
        case = clerk.post("/api/v1/cases", json={**form, "materials_received": [*HUKOU_MATERIALS, "death_certificate"]},
                          expect=201).json()
    matters = {m["code"]: m for m in case["matters"]}
    licence = matters["driving_licence_cancellation"]
    assert (licence["due_state"], licence["due_at"]) == ("pending_calendar", None)
    assert licence["due_state_name"].startswith("时限待定")
    # 15 working days end inside 2026: 12-02 … 12-22.
    assert matters["medical_account_withdrawal"]["due_at"] == "2026-12-22T23:59:59+08:00"
    logged = [r.getMessage() for r in caplog.records
              if r.levelno == logging.ERROR and r.name == "app.supervision.alerts"]
    assert logged and all("2027" in line for line in logged)
    private = (form["deceased"]["id_number"], form["applicant"]["id_number"], form["applicant"]["phone"],
               form["deceased"]["name"])
    assert not any(value in line for line in logged for value in private)

    alerts = supervisor.get("/api/v1/supervision/operator-alerts", expect=200).json()
    alert = next(a for a in alerts if a["kind"] == "calendar_year_missing" and a["subject"] == "2027")
    assert alert["open"] and alert["occurrences"] >= 1 and "flask calendar check" in alert["message"]

    run_scan(stack)  # still no 2027: nothing computed, the alert stays open
    assert any(a["subject"] == "2027" for a in supervisor.get("/api/v1/supervision/operator-alerts", expect=200).json())

    write_calendar_years(stack, {"2027": FICTIONAL_2027}, bump_seconds=1)
    try:
        counts = run_scan(stack)
        assert counts["recomputed"] >= 1 and counts["alerts_resolved"] == 1
        after = {m["code"]: m for m in clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json()["matters"]}
        # 22 working days left in December 2026, then on the FICTIONAL 2027 test data (01-01 off,
        # 01-09 a make-up Saturday): 23 01-04 … 27 01-08, 28 01-09, 29 01-11, 30 01-12.
        assert after["driving_licence_cancellation"]["due_state"] == "scheduled"
        assert after["driving_licence_cancellation"]["due_at"] == "2027-01-12T23:59:59+08:00"
        assert not any(a["subject"] == "2027" for a in supervisor.get("/api/v1/supervision/operator-alerts",
                                                                      expect=200).json())
        resolved = supervisor.get("/api/v1/supervision/operator-alerts?include_resolved=true", expect=200).json()
        assert any(a["subject"] == "2027" and not a["open"] for a in resolved)
    finally:
        write_calendar_years(stack, {}, bump_seconds=2)


def test_the_scheduled_job_runs_the_scan(supervision_stack):
    """``jobs.supervision.sla_scan`` is what ``rq cron`` (jobs/cron.py, ``sla-scan``) and the
    embedded runner's periodic loop send; it answers the scan's counts."""
    from app.tasks import resolve

    with supervision_stack.app.app_context():
        counts = resolve("jobs.supervision.sla_scan")()
    assert set(counts) == {"recomputed", "rectifications_recomputed", "alerts_resolved", "reminded", "overdue"}
