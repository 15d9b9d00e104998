"""No submitted case is lost: work whose job vanished is queued again by the reconciler."""
import app.tasks
from app.matters.reconcile import reconcile
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example


def test_matters_whose_dispatch_jobs_were_lost_are_redriven_to_the_end(stack, monkeypatch):
    lost, real_enqueue = [], app.tasks.enqueue

    def lose_dispatches(job, *ids, **kw):  # only this kind of job is lost; others run as usual
        if job == "jobs.matters.dispatch_matter":
            lost.append((job, ids))
        else:
            real_enqueue(job, *ids, **kw)

    monkeypatch.setattr(app.tasks, "enqueue", lose_dispatches)
    form = fresh_worked_example()
    clerk = Api(stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    monkeypatch.undo()
    assert ("jobs.matters.dispatch_matter", (case["matters"][0]["id"],)) in lost
    stuck = clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json()
    assert stuck["matters"][0]["dispatch_state"] == "pending"

    with stack.app.app_context():
        counts = reconcile(stale_after_seconds=0)
    assert counts["matters"] >= 1
    done = clerk.wait_for_case(case["id"], all_final, timeout=90)
    assert all(m["status"] == "done" for m in done["matters"])


def test_family_case_whose_acceptance_job_was_lost_is_accepted_by_the_reconciler(stack, monkeypatch):
    form = fresh_worked_example(requested_matters=["death_certificate", "cremation_certificate"])
    daughter = Api(stack.base_url).as_applicant(form)
    real_enqueue = app.tasks.enqueue
    monkeypatch.setattr(app.tasks, "enqueue",
                        lambda job, *ids, **kw: None if job == "jobs.cases.accept_case" else real_enqueue(job, *ids, **kw))
    case = daughter.post("/api/v1/cases", json=form, expect=201).json()
    monkeypatch.undo()
    assert daughter.get(f"/api/v1/cases/{case['id']}", expect=200).json()["status"] == "submitted"

    with stack.app.app_context():
        reconcile(stale_after_seconds=0)
    done = daughter.wait_for_case(case["id"], all_final, timeout=90)
    assert {m["code"] for m in done["matters"]} == {"death_certificate", "cremation_certificate", "elderly_subsidy_termination"}


def test_a_stuck_matter_is_requeued_once_per_period_not_on_every_run(embedded_stack, monkeypatch):
    import app.matters.reconcile as reconcile_module

    sent = []
    real_enqueue = app.tasks.enqueue

    def capture(job, *ids, **kw):
        if job == "jobs.matters.dispatch_matter":
            sent.append(ids)
        else:
            real_enqueue(job, *ids, **kw)

    monkeypatch.setattr(app.tasks, "enqueue", capture)
    monkeypatch.setattr(reconcile_module, "enqueue_once", capture)
    form = fresh_worked_example(requested_matters=["death_certificate"])
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    matter_id = case["matters"][0]["id"]
    sent.clear()
    with embedded_stack.app.app_context():
        reconcile(stale_after_seconds=0)
        first = [ids for ids in sent if ids == (matter_id,)]
        reconcile(stale_after_seconds=60)  # touched a moment ago: not stuck for 60 s yet
        reconcile(stale_after_seconds=60)
    assert first == [(matter_id,)] and [ids for ids in sent if ids == (matter_id,)] == [(matter_id,)]
    monkeypatch.undo()
    with embedded_stack.app.app_context():
        reconcile(stale_after_seconds=0)
    clerk.wait_for_case(case["id"], all_final)


def test_work_still_waiting_in_the_queue_is_not_sent_again(postgres_stack):
    """A backlog the workers have not reached yet is not duplicated by the next reconcile run."""
    from app.tasks import enqueue_once

    with postgres_stack.app.app_context():
        runner = postgres_stack.app.extensions["hsyjs_runner"]
        # The maintenance queue points at one the workers do not listen on: the job stays waiting.
        real = runner.names["maintenance"]
        runner.names["maintenance"] = "hsyjs_idle_probe"
        idle = runner._queue("maintenance")
        idle.connection.delete("rq:job:once_jobs_maintenance_reconcile_probe")
        try:
            assert enqueue_once("jobs.maintenance.reconcile", "probe") is True
            assert enqueue_once("jobs.maintenance.reconcile", "probe") is False
            assert idle.count == 1
        finally:
            idle.empty()
            runner.names["maintenance"] = real
