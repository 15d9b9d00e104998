"""A quiet case for notification tests: filed at the window, three bound family members, and no
background work (jobs are captured, matters held back), so every notification is the test's own."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from app.privacy.crypto import id_number_index
import app.tasks
from tests.factories import person_id_number
from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example


def fresh_person(name: str, gender: str = "2") -> dict:
    """A fictional person with a valid, random ID number and a fictional mobile number."""
    birth = date(1955, 1, 1) + timedelta(days=random.randrange(12000))
    return {"name": name, "id_number": person_id_number(birth, gender, division="430102",
                                                        serial=f"{random.randrange(100):02d}"),
            "phone": f"139{random.randrange(10**8):08d}"}


@dataclass
class QuietCase:
    stack: object
    case_id: str
    people: list[dict]  # applicant first; each with "user_id"
    jobs: list = field(default_factory=list)

    @property
    def user_ids(self) -> list[str]:
        return [p["user_id"] for p in self.people]

    def api_for(self, index: int) -> Api:
        person = self.people[index]
        return Api(self.stack.base_url).as_family(name=person["name"], id_number=person["id_number"],
                                                  phone=person["phone"])

    def record(self, kind: str, summary: str, *, matter_code: str | None = None, outcome: dict | None = None,
               effective_date: date | None = None, **kwargs) -> int:
        """``record_event`` on this case (as a service would) and commit; out: the event id."""
        from app.cases.models import Case
        from app.cases.timeline import record_event
        from app.extensions import db
        from app.matters.models import Matter

        with self.stack.app.app_context():
            case = db.session.get(Case, self.case_id)
            matter_id = None
            if matter_code:
                matter = db.session.execute(
                    db.select(Matter).filter_by(case_id=self.case_id, code=matter_code)).scalar_one()
                if outcome is not None:
                    matter.status, matter.outcome = "done", outcome
                if effective_date is not None:
                    matter.effective_date = effective_date
                matter_id = matter.id
            event = record_event(case, kind=kind, summary=summary, actor="department:test", matter_id=matter_id,
                                 **kwargs)
            db.session.commit()
            return event.id

    def run_jobs(self) -> list[str]:
        """Run the captured delivery jobs (and any they queue) in this process; out: their results."""
        from jobs.notify import deliver

        results = []
        with self.stack.app.app_context():
            while self.jobs:
                job, ids = self.jobs.pop(0)
                if job == "jobs.notify.deliver":
                    results.extend(deliver(*ids))
        return results

    def queued(self) -> list[int]:
        """Delivery ids in the captured jobs."""
        return [one for job, ids in self.jobs if job == "jobs.notify.deliver" for one in ids]


@pytest.fixture
def captured_jobs(monkeypatch) -> list:
    """Jobs the code under test queues, kept here instead of sent (nothing runs in the background)."""
    jobs: list = []
    monkeypatch.setattr(app.tasks, "enqueue", lambda job, *ids, **kw: jobs.append((job, ids)))
    return jobs


def make_quiet_case(stack, jobs: list, *, members: int = 3) -> QuietCase:
    from app.cases.models import CaseMember
    from app.extensions import db
    from app.identity.models import FamilyUser
    from app.matters.models import Matter

    people = [fresh_person("王丽")] + [fresh_person(n, g) for n, g in (("王强", "1"), ("李芳", "2"))][: members - 1]
    form = fresh_worked_example(applicant__id_number=people[0]["id_number"], applicant__phone=people[0]["phone"])
    clerk = Api(stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    with stack.app.app_context():
        # Hold the matters back: no department (nor the reconciler) acts on this case.
        db.session.execute(db.update(Matter).where(Matter.case_id == case["id"]).values(dispatch_state="idle"))
        for index, person in enumerate(people):
            user = db.session.execute(
                db.select(FamilyUser).filter_by(id_number_index=id_number_index(person["id_number"]))).scalar_one_or_none()
            if user is None:
                user = FamilyUser(**person)
                db.session.add(user)
                db.session.flush()
            person["user_id"] = user.id
            db.session.add(CaseMember(case_id=case["id"], user_id=user.id, role="applicant" if index == 0 else "member",
                                      status="active"))
        db.session.commit()
    jobs.clear()
    return QuietCase(stack=stack, case_id=case["id"], people=people, jobs=jobs)


@pytest.fixture
def quiet_case(stack, captured_jobs, monkeypatch) -> QuietCase:
    """On both stacks; quiet hours off unless a test sets them (tests must not depend on the hour they run)."""
    monkeypatch.setitem(stack.app.config, "QUIET_HOURS", None)
    return make_quiet_case(stack, captured_jobs)


def deliveries(stack, event_id: int) -> list[tuple[str, str, str]]:
    """``(user_id, channel, state)`` of every delivery of the event's notifications."""
    from app.extensions import db
    from app.notify.models import Delivery, Notification

    with stack.app.app_context():
        rows = db.session.execute(
            db.select(Notification.user_id, Delivery.channel, Delivery.state)
            .join(Delivery, Delivery.notification_id == Notification.id)
            .filter(Notification.event_id == event_id)
        ).all()
        return [tuple(r) for r in rows]


def received(stack, event_id: int) -> list:
    """What the sandbox twins received for the event: ``(channel, idempotency_key, requests, recipient, text)``."""
    from app.extensions import db
    from app.notify.models import Delivery, Notification, SandboxNotification

    with stack.app.app_context():
        keys = db.session.execute(
            db.select(Delivery.idempotency_key).join(Notification, Delivery.notification_id == Notification.id)
            .filter(Notification.event_id == event_id)
        ).scalars().all()
        rows = db.session.execute(
            db.select(SandboxNotification).filter(SandboxNotification.idempotency_key.in_(keys))
        ).scalars().all()
        return [(r.channel, r.idempotency_key, r.requests, r.recipient, r.text) for r in rows]


def give_device(stack, user_id: str) -> None:
    from app.notify.service import register_device

    with stack.app.app_context():
        register_device(user_id=user_id, token=f"device-{user_id}")


def give_consent(stack, user_id: str, template_id: str = "progress") -> None:
    from app.notify.service import record_consent

    with stack.app.app_context():
        record_consent(user_id=user_id, template_id=template_id)
