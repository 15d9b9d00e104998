"""Telling the family: the inbox, the push channels a member opts into, and what staff see.

Fan-out per event lives in ``app.notify.fanout``, delivery in ``app.notify.delivery``. Texts are
plain, gentle Chinese and never carry ID, bank or phone numbers (SPEC §8).
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import clock
from app.cases.models import Case, CaseMember
from app.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.extensions import db
from app.identity.models import FamilyUser
from app.identity.tokens import Principal
from app.notify.fanout import DELIVER_JOB
from app.notify.models import Delivery, Message, Notification, PushDevice, SubscribeConsent
from app.notify.templates import MP_TEMPLATES
from app.tasks import enqueue_after_commit


def notify_case(case: Case, *, title: str, body: str, applicant_only: bool = False) -> None:
    """Add an inbox message for the case's bound family (inside the caller's transaction)."""
    query = db.select(CaseMember).filter_by(case_id=case.id, status="active")
    if applicant_only:
        query = query.filter_by(role="applicant")
    for member in db.session.execute(query).scalars():
        db.session.add(Message(user_id=member.user_id, case_id=case.id, title=title[:40], body=body[:300]))


def list_messages(*, user_id: str, limit: int = 100) -> list[Message]:
    """The user's inbox, newest first — only for cases they are still bound to: a member the
    applicant removed no longer reads the case's progress, old messages included."""
    query = (
        db.select(Message).filter_by(user_id=user_id)
        .filter(db.select(CaseMember.id).filter_by(case_id=Message.case_id, user_id=user_id, status="active").exists())
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    )
    return list(db.session.execute(query).scalars())


def mark_read(*, user_id: str, message_id: int) -> Message:
    """Mark one of the user's messages read. Raises :class:`NotFound` for another's message."""
    message = db.session.get(Message, message_id)
    if message is None or message.user_id != user_id or not _bound(user_id, message.case_id):
        raise NotFound("没有找到这条消息")
    if message.read_at is None:
        message.read_at = clock.now()
        db.session.commit()
    return message


def _bound(user_id: str, case_id: str) -> bool:
    return db.session.execute(
        db.select(CaseMember.id).filter_by(case_id=case_id, user_id=user_id, status="active")
    ).first() is not None


# --- push channels the family opts into ---------------------------------------------------------


def register_device(*, user_id: str, token: str) -> PushDevice:
    """Record a phone on which the 湘易办 app may push to this member (idempotent per token).
    Pushes then go to the app instead of subscribe messages or SMS."""
    device = db.session.execute(db.select(PushDevice).filter_by(user_id=user_id, token=token)).scalar_one_or_none()
    if device is None:
        device = PushDevice(user_id=user_id, token=token)
        db.session.add(device)
    device.revoked_at = None
    db.session.commit()
    return device


def unregister_device(*, user_id: str, token: str) -> None:
    """Stop pushing to this phone (logout, app uninstalled). Unknown tokens are ignored."""
    db.session.execute(
        db.update(PushDevice).where(PushDevice.user_id == user_id, PushDevice.token == token,
                                    PushDevice.revoked_at.is_(None)).values(revoked_at=clock.now())
    )
    db.session.commit()


def record_consent(*, user_id: str, template_id: str) -> dict:
    """The member ticked ``template_id`` in the mini-program's subscribe dialog (one-time
    subscription: each tick allows exactly one message, within ``MP_CONSENT_DAYS`` days).

    Out: the template's consents as :func:`subscriptions` lists them. Raises
    :class:`RuleViolation` for an unknown template.
    """
    if template_id not in MP_TEMPLATES:
        raise RuleViolation("不认识的订阅消息模板", errors={"template_id": [f"取值应为 {', '.join(MP_TEMPLATES)} 之一"]})
    now = clock.now()
    days = current_app.config["MP_CONSENT_DAYS"]
    db.session.add(SubscribeConsent(user_id=user_id, template_id=template_id, granted_at=now,
                                    expires_at=now + timedelta(days=days)))
    db.session.commit()
    return next(s for s in subscriptions(user_id=user_id) if s["template_id"] == template_id)


def subscriptions(*, user_id: str) -> list[dict]:
    """The subscribe-message templates with the member's unused, unexpired consents:
    ``[{"template_id", "platform_template_id", "name", "fields", "available"}]``."""
    now = clock.now()
    rows = db.session.execute(
        db.select(SubscribeConsent.template_id, sa.func.count())
        .filter(SubscribeConsent.user_id == user_id, SubscribeConsent.used_at.is_(None),
                SubscribeConsent.expires_at > now)
        .group_by(SubscribeConsent.template_id)
    ).all()
    available = dict(rows)
    ids = current_app.config["MP_TEMPLATE_IDS"]
    return [{"template_id": code, "platform_template_id": ids.get(code, code), "name": spec["name"],
             "fields": spec["fields"], "available": available.get(code, 0)} for code, spec in MP_TEMPLATES.items()]


# --- what staff see ------------------------------------------------------------------------------

STAFF_DELIVERY_ROLES = frozenset({"admin", "supervisor", "clerk"})


def deliveries_for_staff(*, principal: Principal, state: str = "failed", limit: int = 200) -> list[dict]:
    """Deliveries in ``state`` (default ``failed``) on cases the staff member may see, newest first:
    ``[{"id", "case_id", "case_reference", "channel", "state", "kind", "title", "attempts",
    "last_error", "recipient" (masked name), "fallback" (the SMS that replaced it, if any),
    "created_at", "updated_at"}]``. Raises :class:`Forbidden` for roles without the duty."""
    from app.cases.service import can_read

    if principal.kind != "staff" or principal.role not in STAFF_DELIVERY_ROLES:
        raise Forbidden("只有窗口、监督和管理人员可以查看消息发送情况")
    query = (
        db.select(Delivery, Notification, Case, FamilyUser)
        .join(Notification, Delivery.notification_id == Notification.id)
        .join(Case, Notification.case_id == Case.id)
        .join(FamilyUser, Notification.user_id == FamilyUser.id)
        .filter(Delivery.state == state)
        .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return [_staff_row(*row) for row in db.session.execute(query).all() if can_read(row[2], principal)]


def _staff_row(delivery: Delivery, notification: Notification, case: Case, user: FamilyUser) -> dict:
    from app.qr.service import mask_name

    fallback = db.session.execute(db.select(Delivery).filter_by(fallback_of_id=delivery.id)).scalar_one_or_none()
    return {
        "id": delivery.id, "case_id": case.id, "case_reference": case.reference, "channel": delivery.channel,
        "state": delivery.state, "kind": notification.kind, "title": notification.title,
        "attempts": delivery.attempts, "last_error": delivery.last_error, "recipient": mask_name(user.name),
        "fallback": {"id": fallback.id, "channel": fallback.channel, "state": fallback.state} if fallback else None,
        "created_at": delivery.created_at, "updated_at": delivery.updated_at,
    }


def retry_delivery(*, delivery_id: int, principal: Principal) -> dict:
    """Staff send a failed delivery again (after fixing the cause): fresh attempts, same key.
    Raises :class:`NotFound` outside the staff member's cases, :class:`Conflict` unless failed."""
    from app.cases.service import can_read

    if principal.kind != "staff" or principal.role not in STAFF_DELIVERY_ROLES:
        raise Forbidden("只有窗口、监督和管理人员可以重发消息")
    delivery = db.session.get(Delivery, delivery_id, with_for_update=True)
    case = db.session.get(Case, delivery.notification.case_id) if delivery else None
    if delivery is None or not can_read(case, principal):
        raise NotFound("没有找到这条发送记录")
    if delivery.state != "failed":
        raise Conflict("只有发送失败的消息可以重发")
    now = clock.now()
    delivery.state, delivery.attempts, delivery.due_at, delivery.last_error = "pending", 0, now, None
    notification = delivery.notification
    row = _staff_row(delivery, notification, case, db.session.get(FamilyUser, notification.user_id))
    enqueue_after_commit(DELIVER_JOB, delivery.id)
    db.session.commit()
    return row
