"""The sandbox platform and sandbox departments: real HTTP peers for development, tests and the demo.

Never active in production (``SANDBOX`` off). A sandbox department verifies our signature like a
real one, applies each ``Idempotency-Key`` once, and reports back through the signed callback.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import uuid
from datetime import timedelta

import requests
from flask import current_app

from app import clock
from app.departments.signing import signed_headers, verify
from app.errors import NotFound
from app.extensions import db
from app.sandbox.models import SandboxLoginCode, SandboxSubmission
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)
WORK_JOB = "jobs.sandbox.work_matter"


def issue_login_code(*, name: str, id_number: str, phone: str) -> dict:
    """As the platform would after its real-name check: a one-time code (5 minutes by default)."""
    code = secrets.token_urlsafe(24)
    seconds = current_app.config["LOGIN_CODE_SECONDS"]
    db.session.add(
        SandboxLoginCode(
            code_hash=hashlib.sha256(code.encode()).hexdigest(), name=name, id_number=id_number, phone=phone,
            expires_at=clock.now() + timedelta(seconds=seconds),
        )
    )
    db.session.commit()
    return {"code": code, "expires_in": seconds}


def redeem_login_code(code: str) -> SandboxLoginCode | None:
    """The identity behind ``code`` once; ``None`` if unknown, used or expired."""
    row = db.session.get(SandboxLoginCode, hashlib.sha256(code.encode()).hexdigest(), with_for_update=True)
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        return None
    row.used_at = clock.now()
    return row


def receive_submission(*, department: str, headers, raw_body: bytes) -> tuple[dict, int]:
    """A sandbox department receives a matter. Out: ``(receipt, http status)``."""
    cfg = current_app.config
    secrets_ = cfg["DEPARTMENT_CALLBACK_SECRETS"].get(department)
    if not secrets_:
        raise NotFound("未知的部门")
    verify(secrets_, headers, raw_body, now=int(clock.now().timestamp()), max_skew=cfg["CALLBACK_MAX_SKEW_SECONDS"])
    key = headers.get("Idempotency-Key", "")
    payload = json.loads(raw_body)
    existing = db.session.execute(db.select(SandboxSubmission).filter_by(idempotency_key=key)).scalar_one_or_none()
    if existing is not None:
        return {"receipt_id": existing.id, "status": existing.state, "duplicate": True}, 200
    row = SandboxSubmission(
        department=department, idempotency_key=key, matter_id=payload["matter"]["id"],
        matter_code=payload["matter"]["code"], payload=payload,
    )
    db.session.add(row)
    db.session.flush()
    enqueue_after_commit(WORK_JOB, row.id)
    db.session.commit()
    return {"receipt_id": row.id, "status": "received", "duplicate": False}, 202


def work_matter(*, submission_id: int) -> None:
    """Play the department: report ``accepted``, then the outcome, through signed callbacks."""
    row = db.session.get(SandboxSubmission, submission_id)
    if row is None or row.state == "reported":
        return
    latency = current_app.config["SANDBOX_DEPARTMENT_LATENCY_SECONDS"]
    department, matter, outcome = row.department, row.payload["matter"], _outcome(row)
    db.session.commit()  # hold no transaction while sleeping or calling back
    accepted = {"matter_id": matter["id"], "status": "accepted"}
    if matter["code"] == "cremation_certificate":
        accepted["events"] = {"cremated_at": clock.shanghai(clock.now()).isoformat()}
    time.sleep(latency)
    _callback(department, accepted)
    time.sleep(latency)
    _callback(department, {"matter_id": matter["id"], "status": "done", "outcome": outcome})
    row = db.session.get(SandboxSubmission, submission_id)
    row.state = "reported"
    db.session.commit()


def _outcome(row: SandboxSubmission) -> dict:
    matter, data = row.payload["matter"], row.payload.get("data", {})
    seed = int(hashlib.sha256(row.matter_id.encode()).hexdigest()[:8], 16)
    reference = f"SBX-{row.department.upper()}-{seed % 10**8:08d}"
    payouts = {"medical_account_withdrawal": (50_000, 800_000), "pension_account_payout": (200_000, 3_000_000),
               "funeral_subsidy": (500_000, 1_500_000), "survivor_benefit": (1_000_000, 5_000_000),
               "housing_fund_withdrawal": (1_000_000, 20_000_000)}
    outcome: dict = {"certificate_reference": reference}
    if matter["code"] in payouts:
        low, high = payouts[matter["code"]]
        account = (data.get("deceased", {}).get("social_security_card") or data.get("deceased", {}).get("bank_account") or {})
        outcome = {"payout_amount_fen": low + seed % (high - low), "payout_account": account.get("account_number")}
    if matter.get("effective_date"):
        outcome["effective_date"] = matter["effective_date"]
    return outcome


def _callback(department: str, report: dict) -> None:
    cfg = current_app.config
    url = f"{cfg['SANDBOX_CALLBACK_BASE_URL']}/api/v1/departments/{department}/callbacks"
    raw = json.dumps(report, ensure_ascii=False).encode()
    delivery_id = uuid.uuid4().hex
    for attempt in range(5):
        headers = signed_headers(cfg["DEPARTMENT_CALLBACK_SECRETS"][department][0], delivery_id, int(clock.now().timestamp()), raw)
        try:
            response = requests.post(url, data=raw, headers=headers, timeout=10)
        except requests.RequestException:
            response = None
        if response is not None and response.status_code < 500:
            if response.status_code >= 400:
                log.warning("sandbox %s callback refused: %s", department, response.status_code)
            return
        time.sleep(0.5 * 2**attempt)
    log.error("sandbox %s callback gave up", department)
