"""Delivery jobs: at least once, never twice; bounded retries; SMS when a push cannot go; staff see failures."""
from datetime import timedelta

import pytest

import app.notify.delivery
from app import clock
from app.notify.channels import ChannelError, SandboxChannel
from tests.helpers import Api
from tests.notify.conftest import deliveries, give_consent, give_device, received


def _push_id(quiet_case, event_id, user_id, channel):
    from app.extensions import db
    from app.notify.models import Delivery, Notification

    with quiet_case.stack.app.app_context():
        return db.session.execute(
            db.select(Delivery.id).join(Notification, Delivery.notification_id == Notification.id)
            .filter(Notification.event_id == event_id, Notification.user_id == user_id, Delivery.channel == channel)
        ).scalar_one()


def _sweep(quiet_case) -> int:
    with quiet_case.stack.app.app_context():
        return app.notify.delivery.sweep()


def test_a_job_retried_after_a_crash_pushes_nothing_twice(quiet_case, monkeypatch, frozen_clock):
    stack = quiet_case.stack
    applicant = quiet_case.user_ids[0]
    give_device(stack, applicant)
    event_id = quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回，相关待遇继续办理。")
    delivery_id = _push_id(quiet_case, event_id, applicant, "app_push")
    assert delivery_id in quiet_case.queued()

    # The worker dies after the app push went out, before it could record the receipt.
    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    original = app.notify.delivery._record_sent
    monkeypatch.setattr(app.notify.delivery, "_record_sent", killed)
    with pytest.raises(SystemExit), stack.app.app_context():
        app.notify.delivery.deliver(delivery_id=delivery_id)
    monkeypatch.setattr(app.notify.delivery, "_record_sent", original)
    assert [(c, n) for c, _, n, *_ in received(stack, event_id) if c == "app_push"] == [("app_push", 1)]

    # The same job delivered again at once (at-least-once queues do that): the lease holds it off.
    with stack.app.app_context():
        assert app.notify.delivery.deliver(delivery_id=delivery_id) == "sending"
    # After the lease, the sweep queues it again and the resend carries the same key.
    frozen_clock(clock.now() + timedelta(seconds=stack.app.config["NOTIFY_LEASE_SECONDS"] + 1))
    quiet_case.jobs.clear()
    _sweep(quiet_case)
    assert delivery_id in quiet_case.queued()
    quiet_case.run_jobs()

    pushes = [(c, n) for c, _, n, *_ in received(stack, event_id) if c == "app_push"]
    assert pushes == [("app_push", 2)]  # the channel saw the key twice and pushed once
    states = {(u, c): s for u, c, s in deliveries(stack, event_id)}
    assert states[(applicant, "app_push")] == "sent"
    with stack.app.app_context():  # a finished delivery is left alone
        assert app.notify.delivery.deliver(delivery_id=delivery_id) == "sent"
    assert [(c, n) for c, _, n, *_ in received(stack, event_id) if c == "app_push"] == [("app_push", 2)]


def test_transient_failures_are_retried_a_bounded_number_of_times_then_sms_and_staff_see_it(
        quiet_case, monkeypatch, frozen_clock):
    stack = quiet_case.stack
    applicant = quiet_case.user_ids[0]
    give_device(stack, applicant)
    calls = []
    real_send = SandboxChannel._send

    def flaky(self, message):
        if self.channel == "app_push":
            calls.append(message.idempotency_key)
            raise ChannelError("消息平台暂时不可用（503）", retryable=True)
        return real_send(self, message)

    monkeypatch.setattr(SandboxChannel, "_send", flaky)
    event_id = quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回，相关待遇继续办理。")
    delivery_id = _push_id(quiet_case, event_id, applicant, "app_push")
    max_attempts = stack.app.config["NOTIFY_MAX_ATTEMPTS"]
    quiet_case.run_jobs()
    for _ in range(max_attempts + 2):
        frozen_clock(clock.now() + timedelta(seconds=stack.app.config["NOTIFY_RETRY_CAP_SECONDS"] + 1))
        _sweep(quiet_case)
        quiet_case.run_jobs()
    frozen_clock(None)

    assert len(calls) == max_attempts and len(set(calls)) == 1  # bounded, and always the same key
    states = {(u, c): s for u, c, s in deliveries(stack, event_id)}
    assert states[(applicant, "app_push")] == "failed"
    assert states[(applicant, "sms")] == "sent"  # the family still hears of it

    clerk = Api(stack.base_url).as_staff()
    failed = clerk.get("/api/v1/notify/deliveries", expect=200).json()
    mine = next(d for d in failed if d["id"] == delivery_id)
    assert mine["channel"] == "app_push" and mine["attempts"] == max_attempts
    assert mine["last_error"] == "消息平台暂时不可用（503）" and mine["recipient"] == "王*"
    assert mine["fallback"]["channel"] == "sms" and mine["fallback"]["state"] == "sent"

    monkeypatch.setattr(SandboxChannel, "_send", real_send)
    retried = clerk.post(f"/api/v1/notify/deliveries/{delivery_id}/retry", expect=200).json()
    assert retried["state"] == "pending" and retried["attempts"] == 0
    quiet_case.run_jobs()
    assert {(u, c): s for u, c, s in deliveries(stack, event_id)}[(applicant, "app_push")] == "sent"


def test_failed_deliveries_are_for_staff_only(quiet_case):
    quiet_case.api_for(0).get("/api/v1/notify/deliveries", expect=403)


def test_an_expired_or_used_one_time_consent_falls_back_to_sms_and_inbox(quiet_case, frozen_clock):
    from app.extensions import db
    from app.notify.models import SubscribeConsent

    stack = quiet_case.stack
    son = quiet_case.user_ids[1]
    son_api = quiet_case.api_for(1)
    son_api.post("/api/v1/me/subscriptions", json={"template_id": "progress"}, expect=201)
    listed = {s["template_id"]: s["available"] for s in son_api.get("/api/v1/me/subscriptions", expect=200).json()}
    assert listed == {"progress": 1, "action": 0, "completed": 0}

    first = quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回。")
    second = quiet_case.record("supplement_completed", "您补充的材料已收齐。")  # the one consent is used up
    quiet_case.run_jobs()
    assert {c for u, c, _ in deliveries(stack, first) if u == son} == {"inbox", "mp_subscribe"}
    assert {c for u, c, _ in deliveries(stack, second) if u == son} == {"inbox", "sms"}
    assert {s["template_id"]: s["available"] for s in son_api.get("/api/v1/me/subscriptions").json()}["progress"] == 0

    # A consent past its time is not used.
    give_consent(stack, son, "progress")
    with stack.app.app_context():
        db.session.execute(db.update(SubscribeConsent).where(SubscribeConsent.user_id == son,
                                                             SubscribeConsent.used_at.is_(None))
                           .values(expires_at=clock.now() - timedelta(seconds=1)))
        db.session.commit()
    third = quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回。")
    assert {c for u, c, _ in deliveries(stack, third) if u == son} == {"inbox", "sms"}

    # A consent that lapses while the message waits (quiet hours) falls back to SMS when it is due.
    give_consent(stack, son, "progress")
    fourth = quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回。")
    mp_id = _push_id(quiet_case, fourth, son, "mp_subscribe")
    frozen_clock(clock.now() + timedelta(days=stack.app.config["MP_CONSENT_DAYS"] + 1))
    quiet_case.jobs.clear()
    with stack.app.app_context():
        assert app.notify.delivery.deliver(delivery_id=mp_id) == "failed"
    quiet_case.run_jobs()
    states = {(u, c): s for u, c, s in deliveries(stack, fourth)}
    assert states[(son, "mp_subscribe")] == "failed" and states[(son, "sms")] == "sent"


def test_subscribe_message_fields_respect_the_platform_limits(quiet_case):
    stack = quiet_case.stack
    applicant = quiet_case.user_ids[0]
    give_consent(stack, applicant, "action")
    event_id = quiet_case.record("matter_rejected", "请更正", matter_code="pension_account_payout")
    quiet_case.run_jobs()
    from app.extensions import db
    from app.notify.models import SandboxNotification

    keys = {k for c, k, *_ in received(stack, event_id) if c == "mp_subscribe"}
    with stack.app.app_context():
        row = db.session.execute(db.select(SandboxNotification).filter(
            SandboxNotification.idempotency_key.in_(keys))).scalar_one()
        fields = row.fields
    assert set(fields) == {"thing1", "thing2", "time3"}
    assert fields["thing1"] == "养老保险个人账户一次性待遇申领（含多领…" and len(fields["thing1"]) == 20
    assert len(fields["thing2"]) <= 20


def test_consent_for_an_unknown_template_is_refused(quiet_case):
    answer = quiet_case.api_for(0).post("/api/v1/me/subscriptions", json={"template_id": "nope"}, expect=422).json()
    assert "template_id" in answer["errors"]
