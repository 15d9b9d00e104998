"""Channel adapters (SPEC §8): 湘易办 app push, mini-program subscribe messages, SMS.

An adapter is a template method like the department adapters: :meth:`ChannelAdapter.send`
times and logs the call (channel, delivery id, outcome — never a phone number or a text) and
turns every failure into :class:`ChannelError` with ``retryable`` set for transient ones; each
channel implements only :meth:`_send`. Every send carries the delivery's idempotency key and the
channel applies one key once, so a job retried after a crash never pushes twice.

Production: the platform's message centre at ``NOTIFY_GATEWAY_URL`` (JSON over HTTPS, bearer
``NOTIFY_GATEWAY_TOKEN``, ``Idempotency-Key`` header). Sandbox mode without a gateway: the sandbox
twin, which records what it received in ``sandbox_notifications`` (one row per key).
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import clock, outbound
from app.extensions import db
from app.masking import mask_phone
from app.notify.models import SandboxNotification

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))


class ChannelError(Exception):
    """A send that did not go through; ``retryable`` for transient failures (network, 408, 429, 5xx)."""

    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.reason, self.retryable = reason[:200], retryable


@dataclass(frozen=True)
class Outgoing:
    """One message on one channel. ``recipient`` holds what the channel needs to reach the person:
    ``user_id`` always, ``device_token`` (app push), ``phone`` (SMS; never logged)."""

    delivery_id: int
    channel: str
    idempotency_key: str
    recipient: dict
    title: str
    text: str
    template_id: str | None = None
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """The channel's acknowledgement: its message id and status (e.g. ``accepted``)."""

    id: str
    status: str


class ChannelAdapter:
    channel = ""

    def send(self, message: Outgoing) -> Receipt:
        """Send ``message``; out: the channel's receipt. Raises :class:`ChannelError`."""
        started = time.monotonic()
        extra = {"channel": self.channel, "delivery_id": message.delivery_id}
        try:
            receipt = self._send(message)
        except ChannelError as exc:
            log.warning("notify %s delivery %s failed (retryable=%s): %s", self.channel, message.delivery_id,
                        exc.retryable, exc.reason, extra=extra)
            raise
        log.info("notify %s delivery %s %s in %.0f ms", self.channel, message.delivery_id, receipt.status,
                 (time.monotonic() - started) * 1000, extra=extra)
        return receipt

    def _send(self, message: Outgoing) -> Receipt:  # pragma: no cover - each channel defines it
        raise NotImplementedError


class GatewayAdapter(ChannelAdapter):
    """The platform's message centre over HTTPS; ``path`` per channel."""

    path = ""

    def __init__(self, *, base_url: str, token: str, timeout: float):
        self.base_url, self.token, self.timeout = base_url, token, timeout

    def payload(self, message: Outgoing) -> dict:  # pragma: no cover - each channel defines it
        raise NotImplementedError

    def _send(self, message: Outgoing) -> Receipt:
        headers = {"Idempotency-Key": message.idempotency_key, "Authorization": f"Bearer {self.token}"}
        try:
            response = outbound.request("POST", f"{self.base_url}{self.path}", json=self.payload(message),
                                        headers=headers, timeout=self.timeout)
        except outbound.Timeout:
            raise ChannelError("消息平台响应超时", retryable=True) from None
        except outbound.RequestError as exc:
            raise ChannelError(f"无法连接消息平台（{exc}）", retryable=True) from None
        if response.status in RETRYABLE_STATUS:
            raise ChannelError(f"消息平台暂时不可用（{response.status}）", retryable=True)
        if not 200 <= response.status < 300:  # only a 2xx is an acceptance; a 1xx or 3xx is retried
            if response.status < 400:
                raise ChannelError(f"消息平台未受理（答复 {response.status}）", retryable=True)
            raise ChannelError(f"消息平台拒收（{response.status}）", retryable=False)
        try:
            body = response.json_object()
        except ValueError:
            body = {}
        return Receipt(id=str(body.get("message_id") or body.get("id") or "")[:64], status=str(body.get("status") or "accepted"))


class AppPushAdapter(GatewayAdapter):
    channel, path = "app_push", "/app-push"

    def payload(self, message: Outgoing) -> dict:
        return {"user_id": message.recipient["user_id"], "device_token": message.recipient.get("device_token"),
                "title": message.title, "text": message.text}


class SubscribeMessageAdapter(GatewayAdapter):
    channel, path = "mp_subscribe", "/subscribe-messages"

    def payload(self, message: Outgoing) -> dict:
        return {"user_id": message.recipient["user_id"], "template_id": message.template_id,
                "data": {k: {"value": v} for k, v in message.fields.items()}}


class SmsAdapter(GatewayAdapter):
    channel, path = "sms", "/sms"

    def payload(self, message: Outgoing) -> dict:
        return {"phone": message.recipient["phone"], "text": f"【湘易办】{message.text}"}


class SandboxChannel(ChannelAdapter):
    """The sandbox twin of a channel: applies each idempotency key once, like the real one."""

    def __init__(self, channel: str):
        self.channel = channel

    def _send(self, message: Outgoing) -> Receipt:
        # The twin is a separate system: its write commits on its own, whatever the job does next.
        existing = self._existing(message.idempotency_key)
        if existing is None:
            recipient = message.recipient["user_id"]
            if self.channel == "sms":
                recipient = mask_phone(message.recipient.get("phone")) or ""
            text = message.text if self.channel != "mp_subscribe" else "；".join(message.fields.values())
            receipt_id = f"sbx-{self.channel}-{uuid.uuid4().hex[:16]}"
            db.session.add(SandboxNotification(
                channel=self.channel, idempotency_key=message.idempotency_key, receipt_id=receipt_id,
                recipient=recipient, title=message.title[:40], text=text[:300], fields=dict(message.fields),
                received_at=clock.now(),
            ))
            try:
                db.session.commit()
            except IntegrityError:  # the same key raced in from another worker
                db.session.rollback()
                existing = self._existing(message.idempotency_key)
            else:
                return Receipt(id=receipt_id, status="accepted")
        # A repeat of a key already applied: counted, not pushed again; the first receipt stands.
        existing.requests += 1
        receipt = Receipt(id=existing.receipt_id, status="accepted")
        db.session.commit()
        return receipt

    @staticmethod
    def _existing(key: str) -> SandboxNotification | None:
        return db.session.execute(db.select(SandboxNotification).filter_by(idempotency_key=key)).scalar_one_or_none()


_GATEWAYS = {"app_push": AppPushAdapter, "mp_subscribe": SubscribeMessageAdapter, "sms": SmsAdapter}


def adapter_for(channel: str) -> ChannelAdapter | None:
    """The adapter for ``channel``, or ``None`` when no gateway is configured (production without
    ``NOTIFY_GATEWAY_URL``: the family still has the inbox)."""
    cfg = current_app.config
    if cfg.get("NOTIFY_SANDBOX_TWINS"):
        return SandboxChannel(channel)
    if not cfg.get("NOTIFY_GATEWAY_URL"):
        return None
    return _GATEWAYS[channel](base_url=cfg["NOTIFY_GATEWAY_URL"], token=cfg["NOTIFY_GATEWAY_TOKEN"],
                              timeout=cfg["NOTIFY_TIMEOUT_SECONDS"])
