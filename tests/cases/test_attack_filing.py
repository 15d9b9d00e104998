"""Attacks on the one-flush window filing (app.cases.service.create_case) and what came with it."""
from __future__ import annotations

import os
import subprocess
import threading

import pytest

import tests.conftest as conftest
from app.cases.models import Case, CaseMaterial, Event
from app.extensions import db
from app.matters.models import Matter
from app.privacy.models import AuditEntry
from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example

ATTACK_DB = f"hsyjs_attack_{os.getpid()}"


@pytest.fixture(scope="module")
def postgres_stack(tmp_path_factory):
    """Like conftest's, on this helper's own database name (hsyjs_attack_<pid>), Redis db 12."""
    tmp = tmp_path_factory.mktemp("attack-pg")
    url = conftest.fresh_postgres(ATTACK_DB)
    conftest._check_redis()
    stack, _ = conftest._start("postgres", {"DATABASE_URL": url, "REDIS_URL": conftest.REDIS_TEST_URL,
                                            "RQ_QUEUE": f"hsyjs_attack_{os.getpid()}"}, tmp)
    stack.workers = [conftest.start_worker(stack, tmp / f"worker{i}.log") for i in range(2)]
    yield stack
    for worker in stack.workers:
        worker.terminate()
    for worker in stack.workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
    stack.server.shutdown()
    with stack.app.app_context():
        db.engine.dispose()
    conftest.drop_postgres(ATTACK_DB)


def _race(n, fn):
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_racing_duplicate_filings_give_one_case_409s_in_the_one_shape_and_one_audit_row_each(stack):
    clerk = Api(stack.base_url).as_staff()
    form = {**fresh_worked_example(), "materials_received": HUKOU_MATERIALS}
    n = 6
    answers = _race(n, lambda i: clerk.post("/api/v1/cases", json=form))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * (n - 1), [a.text[:200] for a in answers]
    for a in answers:
        if a.status_code == 409:
            assert set(a.json()) == {"code", "message", "errors"} and a.json()["code"] == "duplicate_case"
    case_id = next(a.json()["id"] for a in answers if a.status_code == 201)
    stack.wait_idle()
    with stack.app.app_context():
        from app.privacy.crypto import id_number_index

        cases = db.session.execute(db.select(Case).filter_by(
            deceased_id_index=id_number_index(form["deceased"]["id_number"]))).scalars().all()
        assert [c.id for c in cases] == [case_id]
        rows = db.session.execute(db.select(AuditEntry).filter(AuditEntry.detail == "POST /api/v1/cases",
                                                               AuditEntry.at >= cases[0].created_at)).scalars().all()
        ok = [r for r in rows if r.success]
        failed = [r for r in rows if not r.success]
        assert [r.case_id for r in ok] == [case_id]
        assert len(failed) == n - 1 and all(r.case_id is None for r in failed)
        db.session.remove()


def test_an_explicit_none_reads_the_same_in_memory_as_stored_after_commit_keeping_state(embedded_stack):
    from app.extensions import commit_keeping_state

    clerk = Api(embedded_stack.base_url).as_staff()
    filed = clerk.post("/api/v1/cases", json=fresh_worked_example(), expect=201).json()
    with embedded_stack.app.app_context():
        matter = Matter(case_id=filed["id"], code="attack_none", department="civil_affairs", status="waiting",
                        dispatch_state=None, waiting_for=None, attempt=None)
        db.session.add(matter)
        commit_keeping_state()
        in_memory = (matter.dispatch_state, matter.waiting_for, matter.attempt)
        stored = db.session.execute(db.select(Matter.dispatch_state, Matter.waiting_for, Matter.attempt)
                                    .filter_by(id=matter.id)).one()
        db.session.delete(matter)
        db.session.commit()
        db.session.remove()
    assert in_memory == tuple(stored)
