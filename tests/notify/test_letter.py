"""The completion letter: one final message, and a summary of what each department confirmed."""
import time

from app.privacy.crypto import id_number_index
import app.tasks
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example
from tests.notify.conftest import fresh_person

PAYOUTS = {"medical_account_withdrawal", "pension_account_payout", "funeral_subsidy", "survivor_benefit",
           "housing_fund_withdrawal"}


def test_when_every_matter_is_done_the_family_gets_one_final_message_and_the_summary(stack, monkeypatch):
    from app.cases.models import CaseMember
    from app.extensions import db
    from app.identity.models import FamilyUser

    daughter_person, son_person = fresh_person("王丽"), fresh_person("王强", "1")
    form = fresh_worked_example(applicant__id_number=daughter_person["id_number"],
                                applicant__phone=daughter_person["phone"])
    daughter = Api(stack.base_url).as_family(**daughter_person)
    son = Api(stack.base_url).as_family(**son_person)
    clerk = Api(stack.base_url).as_staff()
    held = []  # file first, bind the family, then let the departments work
    monkeypatch.setattr(app.tasks, "enqueue", lambda job, *ids, **kw: held.append((job, ids)))
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    with stack.app.app_context():
        for person, role in ((daughter_person, "applicant"), (son_person, "member")):
            user = db.session.execute(db.select(FamilyUser).filter_by(id_number_index=id_number_index(person["id_number"]))).scalar_one()
            db.session.add(CaseMember(case_id=case["id"], user_id=user.id, role=role, status="active"))
        db.session.commit()
    monkeypatch.undo()
    monkeypatch.setitem(stack.app.config, "QUIET_HOURS", None)  # whatever the hour the test runs at
    for job, ids in held:
        app.tasks.enqueue(job, *ids, app=stack.app)

    done = daughter.wait_for_case(case["id"], all_final, timeout=90)
    stack.wait_idle()

    for person in (daughter, son):
        inbox = [m for m in person.get("/api/v1/me/messages", expect=200).json() if m["case_id"] == case["id"]]
        assert [m["title"] for m in inbox].count("全部事项已办结") == 1
    # Delivered by the jobs (the embedded runner, or the rq workers): one SMS each, neither has the app.
    assert _completion_sms_sent(stack, case["id"]) == 2

    letter = daughter.get(f"/api/v1/cases/{case['id']}/summary", expect=200).json()
    assert letter["completed"] is True and letter["reference"] == done["reference"]
    items = {c["matter_code"]: c for d in letter["departments"] for c in d["confirmations"]}
    assert set(items) == {m["code"] for m in done["matters"]}
    assert {d["department_name"] for d in letter["departments"]} >= {"民政部门", "住房公积金管理中心"}

    stopped = items["elderly_subsidy_termination"]
    assert stopped["kind"] == "payment_stopped" and stopped["effective_date"] == "2026-02-01"
    assert "2026年2月1日起停发" in stopped["statement"]
    for code in ("hukou_cancellation", "driving_licence_cancellation"):
        assert items[code]["kind"] == "document_cancelled" and items[code]["certificate_reference"]
    total = 0
    for code in PAYOUTS:
        payout = items[code]
        fen = payout["amount_fen"]
        assert payout["kind"] == "payout" and fen > 0 and payout["currency"] == "CNY"
        assert payout["amount_yuan"] == f"{fen // 100:,}.{fen % 100:02d}"
        assert "****" in payout["account"] and payout["account"] in payout["statement"]
        total += fen
    assert letter["paid_total_fen"] == total

    # Her brother sees what was confirmed, not how much was paid.
    seen_by_son = son.get(f"/api/v1/cases/{case['id']}/summary", expect=200).json()
    son_items = {c["matter_code"]: c for d in seen_by_son["departments"] for c in d["confirmations"]}
    assert all(son_items[code]["amount_fen"] is None and son_items[code]["account"] is None for code in PAYOUTS)
    assert seen_by_son["paid_total_fen"] is None
    assert clerk.get(f"/api/v1/cases/{case['id']}/summary", expect=200).json()["paid_total_fen"] == total


def _completion_sms_sent(stack, case_id: str, timeout: float = 30) -> int:
    from app.extensions import db
    from app.notify.models import Delivery, Notification

    deadline = time.monotonic() + timeout
    while True:
        with stack.app.app_context():
            sent = db.session.execute(
                db.select(db.func.count()).select_from(Delivery)
                .join(Notification, Delivery.notification_id == Notification.id)
                .filter(Notification.case_id == case_id, Notification.kind == "case_completed",
                        Delivery.channel == "sms", Delivery.state == "sent")
            ).scalar_one()
        if sent >= 2 or time.monotonic() > deadline:
            return sent
        time.sleep(0.2)
