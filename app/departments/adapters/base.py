"""The department adapter template (SPEC §7).

``DepartmentAdapter.submit`` times, logs (no private numbers), signs and sends one matter
attempt with its ``Idempotency-Key``, and turns every failure into :class:`DepartmentError`
with ``retryable`` set for transient ones (network errors, timeouts, 408, 429, 5xx). Each
department kind implements only :meth:`data_for`: the minimum of the form it needs.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from app import clock, outbound
from app.departments.signing import signed_headers

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))


class DepartmentError(Exception):
    def __init__(self, reason: str, *, retryable: bool, status: int | None = None):
        super().__init__(reason)
        self.reason, self.retryable, self.status = reason, retryable, status


@dataclass(frozen=True)
class Submission:
    """One attempt at one matter, as the department receives it."""

    matter_id: str
    matter_code: str
    matter_name: str
    case_reference: str
    attempt: int
    idempotency_key: str
    form: dict
    effective_date: str | None
    callback_url: str


class DepartmentAdapter:
    department: str = ""

    def __init__(self, *, base_url: str, secret: str, timeout: float):
        self.base_url, self.secret, self.timeout = base_url.rstrip("/"), secret, timeout

    def data_for(self, form: dict) -> dict:  # pragma: no cover - each department defines it
        raise NotImplementedError

    def url(self) -> str:
        return f"{self.base_url}/{self.department}/matters"

    def body(self, submission: Submission) -> dict:
        return {
            "matter": {
                "id": submission.matter_id,
                "code": submission.matter_code,
                "name": submission.matter_name,
                "case_reference": submission.case_reference,
                "attempt": submission.attempt,
                "effective_date": submission.effective_date,
            },
            "callback_url": submission.callback_url,
            "data": self.data_for(submission.form),
        }

    def status(self, idempotency_key: str) -> dict | None:
        """Ask whether the department already holds this attempt (after an ambiguous failure,
        e.g. a timeout once the request was sent). Out: its receipt, or ``None`` if unknown.
        Raises :class:`DepartmentError`."""
        headers = signed_headers(self.secret, f"status-{idempotency_key}", int(clock.now().timestamp()), b"")
        try:
            response = outbound.request("GET", f"{self.url()}/{idempotency_key}", headers=headers, timeout=self.timeout)
        except outbound.RequestError:
            raise DepartmentError("无法连接部门系统", retryable=True) from None
        if response.status == 404:
            return None
        if response.status in RETRYABLE_STATUS:
            raise DepartmentError(f"部门系统暂时不可用（{response.status}）", retryable=True, status=response.status)
        if not 200 <= response.status < 300:  # a refusal, or a redirect or interim answer: not a receipt
            raise DepartmentError(_reason(response), retryable=response.status < 400, status=response.status)
        try:
            return response.json_object()
        except ValueError:
            raise DepartmentError("部门系统的答复无法识别", retryable=True, status=response.status) from None

    def submit(self, submission: Submission) -> dict:
        """Send the matter; out: the department's receipt (JSON object).

        Raises :class:`DepartmentError` (``retryable`` for transient failures).
        """
        raw = json.dumps(self.body(submission), ensure_ascii=False, separators=(",", ":")).encode()
        headers = signed_headers(self.secret, submission.idempotency_key, int(clock.now().timestamp()), raw)
        headers["Idempotency-Key"] = submission.idempotency_key
        started = time.monotonic()
        extra = {"department": self.department, "matter_id": submission.matter_id, "attempt": submission.attempt}
        try:
            response = outbound.request("POST", self.url(), body=raw, headers=headers, timeout=self.timeout)
        except outbound.Timeout:
            log.warning("department %s timed out", self.department, extra=extra)
            raise DepartmentError("部门系统响应超时", retryable=True) from None
        except outbound.RequestError as exc:
            log.warning("department %s unreachable: %s", self.department, exc, extra=extra)
            raise DepartmentError("无法连接部门系统", retryable=True) from None
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info("department %s answered %s in %.0f ms", self.department, response.status, elapsed_ms, extra=extra)
        if response.status in RETRYABLE_STATUS:
            raise DepartmentError(f"部门系统暂时不可用（{response.status}）", retryable=True, status=response.status)
        if not 200 <= response.status < 300:  # only a 2xx is an acceptance; a 1xx or 3xx (a moved or
            # maintenance address, perhaps for a while) is retried, then fails where staff see it
            raise DepartmentError(_reason(response), retryable=response.status < 400, status=response.status)
        try:
            return response.json_object()
        except ValueError:
            return {}


def _reason(response) -> str:
    """The department's own ``message`` (text, at most 300 characters), else a generic reason."""
    try:
        message = response.json_object().get("message")
    except ValueError:
        message = None
    if not isinstance(message, str) or not message.strip():
        message = f"部门系统拒收（{response.status}）" if response.status >= 400 else f"部门系统未受理（答复 {response.status}）"
    return message.strip()[:300]
