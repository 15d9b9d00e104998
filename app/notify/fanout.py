"""Fan-out: one timeline event → one notification per family member told → one delivery per channel.

Who is told: every active member of the case, or only the applicant for payouts and private
matters (the template's ``applicant_only``, or the caller's). Channels, per person:

- ``inbox`` always, written at once (read/unread in the app; it wakes nobody);
- one push channel when the template pushes: the 湘易办 app if the person registered a device,
  else a mini-program subscribe message if they hold an unused, unexpired one-time consent for
  that template (each consent allows exactly one message and is used up here), else SMS to the
  phone the platform verified.

Quiet hours (``QUIET_HOURS``, Asia/Shanghai, default 22:00–07:00): a routine push waits until
they end; an urgent one (the funeral home's cremation contact, a request to correct or supply
data, a refund needed) goes at once. Pushes due now are queued after the transaction commits;
later ones are picked up by the periodic sweep (``jobs.notify.sweep``).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app

from app import clock
from app.cases.models import Case, CaseMember, Event
from app.extensions import db
from app.notify.models import Delivery, Message, Notification, PushDevice, SubscribeConsent
from app.notify.templates import Rendered, render
from app.tasks import enqueue_after_commit

DELIVER_JOB = "jobs.notify.deliver"


def release_time(at: datetime, *, urgent: bool, quiet: tuple[str, str] | None) -> datetime:
    """When a push made at ``at`` may go: ``at`` itself, or the end of quiet hours (Asia/Shanghai)
    if ``at`` falls inside them and the push is not ``urgent``. ``quiet`` is ``("22:00", "07:00")``
    or ``None``; a window may cross midnight."""
    if urgent or not quiet:
        return at
    start, end = (time(int(v[:2]), int(v[3:])) for v in quiet)
    local = clock.shanghai(at)
    now_t = local.time()
    inside = (start <= now_t or now_t < end) if start > end else (start <= now_t < end)
    if not inside:
        return at
    release = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release.astimezone(at.tzinfo)


def fan_out(
    case: Case,
    event: Event,
    *,
    matter=None,
    applicant_only: bool = False,
    urgent: bool | None = None,
    fallback_title: str = "办理进度更新",
) -> list[Notification]:
    """Tell the family about ``event`` (already flushed) inside the caller's transaction.

    ``urgent`` overrides the template's urgency. Out: the notifications made (none for a person
    already told once of a ``once_per_case`` kind such as ``case_completed``).
    """
    rendered = render(event, case=case, matter=matter, fallback_title=fallback_title)
    query = db.select(CaseMember).filter_by(case_id=case.id, status="active").order_by(CaseMember.id)
    if applicant_only or rendered.applicant_only:
        query = query.filter_by(role="applicant")
    now = clock.now()
    is_urgent = rendered.urgent if urgent is None else urgent
    due = release_time(now, urgent=is_urgent, quiet=current_app.config.get("QUIET_HOURS"))
    made, due_now = [], []
    for member in db.session.execute(query).scalars():
        if rendered.once_per_case and _already_told(case.id, member.user_id, rendered.kind):
            continue
        notification, delivery = _notify_one(case, event, member.user_id, rendered, urgent=is_urgent, now=now, due=due)
        made.append(notification)
        if delivery is not None and delivery.due_at <= now:
            due_now.append(delivery.id)
    if due_now:  # one job for the event's pushes: a job costs far more than a send
        enqueue_after_commit(DELIVER_JOB, *due_now)
    return made


def _already_told(case_id: str, user_id: str, kind: str) -> bool:
    query = db.select(Notification.id).filter_by(case_id=case_id, user_id=user_id, kind=kind).limit(1)
    return db.session.execute(query).first() is not None


def _notify_one(case: Case, event: Event, user_id: str, rendered: Rendered, *, urgent: bool, now: datetime,
                due: datetime) -> tuple[Notification, Delivery | None]:
    notification = Notification(
        event_id=event.id, case_id=case.id, user_id=user_id, kind=rendered.kind, title=rendered.title,
        body=rendered.body, push_text=rendered.push_text or "", mp_template=rendered.mp_template,
        mp_fields=rendered.mp_fields, urgent=urgent, created_at=now,
    )
    db.session.add(notification)
    message = Message(user_id=user_id, case_id=case.id, title=rendered.title, body=rendered.body, created_at=now)
    db.session.add(message)
    db.session.flush()
    db.session.add(Delivery(
        notification_id=notification.id, channel="inbox", idempotency_key=key_for(notification.id, "inbox"),
        state="sent", due_at=now, attempts=1, receipt_id=f"message:{message.id}", receipt_status="stored", sent_at=now,
    ))
    if not rendered.push_text or not pushes_configured():
        return notification, None
    channel, consent = choose_push_channel(user_id, mp_template=rendered.mp_template, now=now)
    push = add_delivery(notification, channel, due=due, now=now, consent_id=consent.id if consent else None,
                        queue=False)
    return notification, push


def pushes_configured() -> bool:
    """Whether any push channel exists: the sandbox twins, or the platform's message centre. In
    production without ``NOTIFY_GATEWAY_URL`` the family has the inbox only (and staff no noise)."""
    cfg = current_app.config
    return bool(cfg.get("NOTIFY_SANDBOX_TWINS") or cfg.get("NOTIFY_GATEWAY_URL"))


def key_for(notification_id: int, channel: str) -> str:
    """The idempotency key the channel sees for this notification on ``channel``: stable across retries."""
    return f"hsyjs-n{notification_id}-{channel}"


def add_delivery(notification: Notification, channel: str, *, due: datetime, now: datetime,
                 consent_id: int | None = None, fallback_of_id: int | None = None, queue: bool = True) -> Delivery:
    """A pending delivery; queued after commit if due now (and ``queue``), else left for the sweep."""
    delivery = Delivery(
        notification_id=notification.id, channel=channel, idempotency_key=key_for(notification.id, channel),
        state="pending", due_at=due, consent_id=consent_id, fallback_of_id=fallback_of_id,
    )
    db.session.add(delivery)
    db.session.flush()
    if queue and due <= now:
        enqueue_after_commit(DELIVER_JOB, delivery.id)
    return delivery


def choose_push_channel(user_id: str, *, mp_template: str, now: datetime) -> tuple[str, SubscribeConsent | None]:
    """``("app_push", None)``, ``("mp_subscribe", consent)`` (the consent is used up here) or ``("sms", None)``."""
    device = db.session.execute(
        db.select(PushDevice.id).filter_by(user_id=user_id, revoked_at=None).limit(1)
    ).first()
    if device is not None:
        return "app_push", None
    candidates = db.session.execute(
        db.select(SubscribeConsent)
        .filter(SubscribeConsent.user_id == user_id, SubscribeConsent.template_id == mp_template,
                SubscribeConsent.used_at.is_(None), SubscribeConsent.expires_at > now)
        .order_by(SubscribeConsent.expires_at)
        .limit(5)
    ).scalars().all()
    for consent in candidates:
        # Conditional update: two events racing for the same consent cannot both use it.
        used = db.session.execute(
            db.update(SubscribeConsent)
            .where(SubscribeConsent.id == consent.id, SubscribeConsent.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if used.rowcount == 1:
            db.session.refresh(consent, ["used_at"])
            return "mp_subscribe", consent
    return "sms", None
