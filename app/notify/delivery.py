"""Delivering pushes (jobs): at least once, never twice, bounded retries, failures visible to staff.

A delivery job claims its row (``sending`` with a lease of ``NOTIFY_LEASE_SECONDS``), commits,
calls the channel with the row's idempotency key, then records the receipt. If the worker dies
in between, the row stays ``sending``; once the lease has passed the sweep queues it again and
the resend carries the same key, which the channel applies once — the family gets one push.

Transient failures are retried ``NOTIFY_MAX_ATTEMPTS`` times with backoff
``min(NOTIFY_RETRY_CAP_SECONDS, NOTIFY_RETRY_BASE_SECONDS * 2**(n-1))``; a push that fails for
good (or whose one-time consent lapsed) falls back to SMS, and a failed SMS is left ``failed``
for staff (``GET /api/v1/notify/deliveries?state=failed``). The inbox copy is always there.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_

from app import clock, tasks
from app.extensions import db
from app.identity.models import FamilyUser
from app.notify.channels import ChannelError, Outgoing, Receipt, adapter_for
from app.notify.fanout import DELIVER_JOB, add_delivery, release_time
from app.notify.models import Delivery, PushDevice, SubscribeConsent

log = logging.getLogger(__name__)
FINAL = frozenset({"sent", "failed"})


def deliver(*, delivery_id: int) -> str:
    """Send one pending delivery if it is due (job). Idempotent: a sent or failed delivery, one not
    yet due (quiet hours, backoff) or one another worker holds is left alone.

    Out: the delivery's state afterwards, or ``waiting`` / ``missing``.
    """
    cfg = current_app.config
    now = clock.now()
    row = db.session.get(Delivery, delivery_id, with_for_update=True)
    if row is None:
        db.session.commit()
        return "missing"
    if row.state in FINAL or row.channel == "inbox":
        db.session.commit()
        return row.state
    if row.due_at > now:
        db.session.commit()
        return "waiting"
    if row.state == "sending" and row.lease_until and row.lease_until > now:
        db.session.commit()
        return "sending"
    row.state, row.attempts = "sending", row.attempts + 1
    row.lease_until = now + timedelta(seconds=cfg["NOTIFY_LEASE_SECONDS"])
    adapter = adapter_for(row.channel)
    try:
        if adapter is None:
            raise ChannelError("未配置消息平台", retryable=False)
        message = _outgoing(row, now=now)
    except ChannelError as exc:
        _fail(row, exc, now=now)
        db.session.commit()
        return row.state
    db.session.commit()  # the claim is durable before the channel is called
    try:
        receipt = adapter.send(message)
    except ChannelError as exc:
        return _record_failure(delivery_id, exc)
    return _record_sent(delivery_id, receipt)


def _outgoing(row: Delivery, *, now: datetime) -> Outgoing:
    notification = row.notification
    user = db.session.get(FamilyUser, notification.user_id)
    recipient: dict = {"user_id": user.id}
    template_id = None
    if row.channel == "app_push":
        device = db.session.execute(
            db.select(PushDevice).filter_by(user_id=user.id, revoked_at=None).order_by(PushDevice.id.desc()).limit(1)
        ).scalar_one_or_none()
        if device is None:
            raise ChannelError("没有可推送的设备", retryable=False)
        recipient["device_token"] = device.token
    elif row.channel == "mp_subscribe":
        consent = db.session.get(SubscribeConsent, row.consent_id) if row.consent_id else None
        if consent is None or consent.expires_at <= now:
            raise ChannelError("订阅消息授权已失效", retryable=False)
        template_id = current_app.config["MP_TEMPLATE_IDS"].get(notification.mp_template, notification.mp_template)
    elif row.channel == "sms":
        if not user.phone:
            raise ChannelError("没有手机号码", retryable=False)
        recipient["phone"] = user.phone
    return Outgoing(
        delivery_id=row.id, channel=row.channel, idempotency_key=row.idempotency_key, recipient=recipient,
        title=notification.title, text=notification.push_text, template_id=template_id,
        fields=dict(notification.mp_fields or {}) if row.channel == "mp_subscribe" else {},
    )


def _record_sent(delivery_id: int, receipt: Receipt) -> str:
    row = db.session.get(Delivery, delivery_id, with_for_update=True, populate_existing=True)
    if row.state == "sending":
        row.state, row.sent_at, row.lease_until, row.last_error = "sent", clock.now(), None, None
        row.receipt_id, row.receipt_status = receipt.id[:64], receipt.status[:32]
    db.session.commit()
    return row.state


def _record_failure(delivery_id: int, exc: ChannelError) -> str:
    row = db.session.get(Delivery, delivery_id, with_for_update=True, populate_existing=True)
    if row.state == "sending":
        _fail(row, exc, now=clock.now())
    db.session.commit()
    return row.state


def _fail(row: Delivery, exc: ChannelError, *, now: datetime) -> None:
    cfg = current_app.config
    row.last_error, row.lease_until = exc.reason, None
    if exc.retryable and row.attempts < cfg["NOTIFY_MAX_ATTEMPTS"]:
        backoff = min(cfg["NOTIFY_RETRY_CAP_SECONDS"], cfg["NOTIFY_RETRY_BASE_SECONDS"] * 2 ** (row.attempts - 1))
        row.state, row.due_at = "pending", now + timedelta(seconds=backoff)
        return
    row.state = "failed"
    log.warning("notify %s delivery %s failed for good after %s attempts", row.channel, row.id, row.attempts,
                extra={"channel": row.channel, "delivery_id": row.id})
    if row.channel != "sms":
        _fall_back_to_sms(row, now=now)


def _fall_back_to_sms(row: Delivery, *, now: datetime) -> None:
    notification = row.notification
    exists = db.session.execute(
        db.select(Delivery.id).filter_by(notification_id=notification.id, channel="sms")
    ).first()
    if exists is not None:
        return
    due = release_time(now, urgent=notification.urgent, quiet=current_app.config.get("QUIET_HOURS"))
    add_delivery(notification, "sms", due=due, now=now, fallback_of_id=row.id)


def deliver_many(*, delivery_ids: list[int]) -> list[str]:
    """:func:`deliver` each id in turn; one failing send does not stop the others. Out: their states."""
    states = []
    for delivery_id in delivery_ids:
        try:
            states.append(deliver(delivery_id=delivery_id))
        except Exception as exc:  # noqa: BLE001 - the row keeps its state; the sweep retries after the lease
            if tasks.is_job_timeout(exc):
                raise  # the job's time is up: the rest wait for the sweep, not for this job
            db.session.rollback()
            log.exception("notify delivery %s crashed", delivery_id, extra={"delivery_id": delivery_id})
            states.append("error")
    return states


def sweep(*, limit: int = 500, batch: int = tasks.NOTIFY_BATCH) -> int:
    """Queue every delivery now due: routine pushes whose quiet hours ended, retries whose backoff
    passed, and sends whose worker died (lease passed). Runs every ``NOTIFY_SWEEP_SECONDS`` (embedded
    runner loop, ``rq cron``); doubled runs are harmless. Out: how many were queued (in jobs of ``batch``)."""
    now = clock.now()
    ids = db.session.execute(
        db.select(Delivery.id)
        .filter(or_(and_(Delivery.state == "pending", Delivery.due_at <= now),
                    and_(Delivery.state == "sending", Delivery.lease_until < now)))
        .order_by(Delivery.due_at)
        .limit(limit)
    ).scalars().all()
    db.session.commit()
    for start in range(0, len(ids), batch):
        tasks.enqueue(DELIVER_JOB, *ids[start:start + batch])
    return len(ids)
