"""A window filing is written in one flush and answered from memory (app.cases.service.create_case):
what it answers, stores and queues must be what a read-back would show."""
import app.tasks
from app.cases.models import Case, CaseMaterial
from app.extensions import db
from app.matters.models import Matter
from app.matters.reconcile import reconcile
from app.privacy.models import AuditEntry
from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example


def test_the_filing_answer_is_the_case_as_read_back_and_its_jobs_name_the_stored_matters(stack, monkeypatch):
    queued = []  # the jobs are held, so nothing moves the case on between the answer and the read-back
    monkeypatch.setattr(app.tasks, "enqueue", lambda job, *ids, **kw: queued.append((job, ids)))
    clerk = Api(stack.base_url).as_staff()
    filed = clerk.post("/api/v1/cases", json={**fresh_worked_example(), "materials_received": HUKOU_MATERIALS},
                       expect=201).json()
    read = clerk.get(f"/api/v1/cases/{filed['id']}", expect=200).json()
    monkeypatch.undo()
    assert filed == read
    pending = [m["id"] for m in read["matters"] if m["dispatch_state"] == "pending"]
    ours = {m["id"] for m in read["matters"]}  # other tests' background work may be queued meanwhile
    dispatches = sorted(job for job in queued if job[0] == "jobs.matters.dispatch_matter" and job[1][0] in ours)
    assert pending and dispatches == sorted(("jobs.matters.dispatch_matter", (i,)) for i in pending)
    with stack.app.app_context():  # send the held work, as the reconciler would
        reconcile(stale_after_seconds=0)
        db.session.remove()


def test_a_window_filing_stores_its_rows_once_with_their_defaults_and_its_audit_row(stack):
    clerk = Api(stack.base_url).as_staff()
    form = fresh_worked_example()
    filed = clerk.post("/api/v1/cases", json={**form, "materials_received": [*HUKOU_MATERIALS, HUKOU_MATERIALS[0]]},
                       expect=201).json()
    with stack.app.app_context():
        case = db.session.get(Case, filed["id"])
        kinds = [m.kind for m in db.session.execute(db.select(CaseMaterial).filter_by(case_id=case.id)).scalars()]
        assert kinds == HUKOU_MATERIALS  # the repeated one recorded once, in the order given
        matters = db.session.execute(db.select(Matter).filter_by(case_id=case.id)).scalars().all()
        assert len(matters) == len(filed["matters"])
        assert all(m.received_at and m.recorded_by.startswith("staff:") for m in case.materials)
        audit = db.session.execute(db.select(AuditEntry).filter(AuditEntry.case_id == case.id,
                                                                AuditEntry.actor.like("staff:%"))).scalars().all()
        assert [(a.action, a.detail, a.success) for a in audit] == [("change", "POST /api/v1/cases", True)]
        db.session.remove()


def test_a_new_matter_and_material_read_their_column_defaults_before_any_flush(embedded_stack):
    with embedded_stack.app.app_context():
        matter = Matter(code="death_certificate")
        assert (matter.attempt, matter.dispatch_state, matter.dispatch_tries) == (0, "idle", 0)
        assert matter.requires == [] and matter.waiting_for == [] and matter.deadline_spec == {}
        assert matter.id and matter.id != Matter(code="hukou_cancellation").id  # a new id each, not one shared
        assert CaseMaterial(kind="originals_handed_in", recorded_by="staff:1").received_at is not None
        assert Matter(code="x", dispatch_state="pending").dispatch_state == "pending"  # given values win


def test_a_material_is_received_once_per_case(embedded_stack):
    clerk = Api(embedded_stack.base_url).as_staff()
    filed = clerk.post("/api/v1/cases", json=fresh_worked_example(), expect=201).json()
    with embedded_stack.app.app_context():
        case = db.session.get(Case, filed["id"])
        assert case.receive_material("originals_handed_in", recorded_by="staff:1") is True
        assert case.receive_material("originals_handed_in", recorded_by="staff:1") is False
        db.session.commit()
        case = db.session.get(Case, filed["id"])
        assert case.receive_material("originals_handed_in", recorded_by="staff:2") is False  # after a reload too
        count = db.session.execute(db.select(db.func.count()).select_from(CaseMaterial)
                                   .filter_by(case_id=case.id, kind="originals_handed_in")).scalar_one()
        assert count == 1
        db.session.remove()
