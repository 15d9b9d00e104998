"""A live stack of its own for the supervision tests, on SQLite and on PostgreSQL.

Its own database and its own calendar override file (empty: no 2027, whatever the shipped file
says later), and no periodic loop (``RECONCILE_INTERVAL_SECONDS=0``), so only the tests run the
SLA scan, at the times they set with ``frozen_clock``. Cases and matters are seeded straight
into the database with the states a test needs; every test uses its own dates and asserts on
its own rows only, so the tests share one stack per database kind.
"""
from __future__ import annotations

import json
import os
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from app.privacy.crypto import id_number_index
from tests.conftest import drop_postgres, fresh_postgres, start_stack
from tests.factories import person_id_number
from tests.helpers import STAFF_PASSWORD, Api, fresh_worked_example

SUPERVISION_DB = f"hsyjs_supervision_{os.getpid()}"
#: Test staff: two county supervisors and an admin (password STAFF_PASSWORD).
TEST_STAFF = [
    {"username": "t.supervisor.cs", "display_name": "长沙督查", "role": "supervisor", "county_code": "430100"},
    {"username": "t.supervisor.zz", "display_name": "株洲督查", "role": "supervisor", "county_code": "430200"},
    {"username": "t.admin", "display_name": "省管理员", "role": "admin", "county_code": "430000"},
]


@pytest.fixture(scope="session", params=["embedded", "postgres"])
def supervision_stack(request, tmp_path_factory):
    mode = request.param
    if mode == "postgres" and os.environ.get("HSYJS_SKIP_SERVICES") == "1" and not os.environ.get("CI"):
        pytest.skip("HSYJS_SKIP_SERVICES=1: PostgreSQL skipped on this developer machine")
    tmp = tmp_path_factory.mktemp(f"supervision-{mode}")
    calendar_file = tmp / "calendar-overrides.json"
    calendar_file.write_text(json.dumps({"years": {}}), encoding="utf-8")
    database_url = fresh_postgres(SUPERVISION_DB) if mode == "postgres" else f"sqlite:///{tmp / 'test.sqlite3'}"
    stack, _ = start_stack(f"supervision-{mode}", {
        "DATABASE_URL": database_url,
        "CALENDAR_OVERRIDES_PATH": str(calendar_file),
        "RECONCILE_INTERVAL_SECONDS": "0",
    }, tmp)
    stack.calendar_file = calendar_file
    with stack.app.app_context():
        from app.extensions import db
        from app.identity.models import StaffUser

        for staff in TEST_STAFF:
            db.session.add(StaffUser(password_hash=generate_password_hash(STAFF_PASSWORD), **staff))
        db.session.commit()
    yield stack
    stack.wait_idle()
    stack.server.shutdown()
    with stack.app.app_context():
        from app.extensions import db

        db.engine.dispose()
    if mode == "postgres":
        drop_postgres(SUPERVISION_DB)


def write_calendar_years(stack, years: dict, *, bump_seconds: int) -> None:
    """The operator edits the override file in place (its mtime moved so the cache notices)."""
    path: Path = stack.calendar_file
    before = os.stat(path)
    path.write_text(json.dumps({"years": years}, ensure_ascii=False), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + bump_seconds * 1_000_000_000))


@dataclass
class Seeded:
    case_id: str
    reference: str
    matters: dict  # code → matter id
    form: dict


def seed_case(stack, *, hukou: str = "430104", window_id: str | None = None, matters: dict[str, dict],
              status: str = "in_progress") -> Seeded:
    """A case (fictional deceased, hukou in ``hukou``) with ``matters``: ``{code: {column: value}}``
    written as given on top of the catalogue's department and deadline rule."""
    from app.cases.models import Case
    from app.catalogue.service import load_catalogue
    from app.extensions import db
    from app.matters.models import Matter

    form = fresh_worked_example(deceased__household_registration__division_code=hukou)
    with stack.app.app_context():
        catalogue = {entry["code"]: entry for entry in load_catalogue()["matters"]}
        case = Case(reference="SHT" + uuid.uuid4().hex[:12], status=status, channel="window" if window_id else "app",
                    window_id=window_id, applicant_id_index=id_number_index(form["applicant"]["id_number"]),
                    deceased_name=form["deceased"]["name"],
                    deceased_id_index=id_number_index(form["deceased"]["id_number"]),
                    household_division_code=form["deceased"]["household_registration"]["division_code"],
                    died_at=datetime.fromisoformat(form["deceased"]["died_at"]), form=form)
        db.session.add(case)
        db.session.flush()
        ids = {}
        for position, (code, columns) in enumerate(matters.items()):
            entry = catalogue[code]
            matter = Matter(case_id=case.id, code=code, position=position, department=entry["department"],
                            automatic=entry["mode"] == "automatic", requires=[], waiting_for=[],
                            deadline_spec=dict(entry["deadline"]), dispatch_state="sent",
                            **{"status": "dispatched", **columns})
            db.session.add(matter)
            db.session.flush()
            ids[code] = matter.id
        db.session.commit()
        return Seeded(case.id, case.reference, ids, form)


def bind_family(stack, seeded: Seeded, *, name: str = "王丽", role: str = "applicant") -> Api:
    """A fictional family member logged in through the sandbox platform and bound to the case."""
    from app.cases.models import CaseMember
    from app.extensions import db
    from app.identity.models import FamilyUser

    birth = date(1970, 1, 1) + timedelta(days=random.randrange(3000))
    id_number = person_id_number(birth, "2", division="430102", serial=f"{random.randrange(100):02d}")
    api = Api(stack.base_url).as_family(name=name, id_number=id_number, phone="13800000000")
    with stack.app.app_context():
        user = db.session.execute(db.select(FamilyUser).filter_by(id_number_index=id_number_index(id_number))).scalar_one()
        db.session.add(CaseMember(case_id=seeded.case_id, user_id=user.id, role=role, status="active"))
        db.session.commit()
    return api


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text)


def run_scan(stack) -> dict:
    from app.supervision.sla import scan

    with stack.app.app_context():
        return scan()


def matter_row(stack, matter_id: str):
    from app.extensions import db
    from app.matters.models import Matter

    with stack.app.app_context():
        matter = db.session.get(Matter, matter_id)
        db.session.expunge(matter)
        return matter
