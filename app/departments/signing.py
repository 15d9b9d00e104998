"""HMAC-SHA256 signatures for department traffic, both directions.

Signed string: ``{delivery_id}.{timestamp}.{raw body}``; headers ``X-Delivery-Id``,
``X-Timestamp`` (unix seconds) and ``X-Signature`` (``v1=<hex>``; several, comma-separated,
are allowed while a secret rotates). Timestamps more than ``max_skew`` seconds off are refused.
"""
from __future__ import annotations

import hashlib
import hmac

from app.errors import Unauthorized


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    message = f"{delivery_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "X-Delivery-Id": delivery_id,
        "X-Timestamp": str(timestamp),
        "X-Signature": sign(secret, delivery_id, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(secrets: list[str], headers, body: bytes, *, now: int, max_skew: int) -> str:
    """Check a request's signature; out: its delivery id. Raises :class:`Unauthorized`."""
    delivery_id = headers.get("X-Delivery-Id", "")
    raw_ts = headers.get("X-Timestamp", "")
    raw_sig = headers.get("X-Signature", "")
    if not delivery_id or not raw_ts or not raw_sig or len(delivery_id) > 64:
        raise Unauthorized("签名信息不完整", code="signature_missing")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise Unauthorized("时间戳格式不正确", code="signature_invalid") from None
    if abs(now - timestamp) > max_skew:
        raise Unauthorized("请求时间与服务器时间相差过大", code="signature_stale")
    offered = [s.strip() for s in raw_sig.split(",") if s.strip().startswith("v1=")]
    for secret in secrets:
        expected = sign(secret, delivery_id, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return delivery_id
    raise Unauthorized("签名校验失败", code="signature_invalid")
