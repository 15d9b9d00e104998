"""The sandbox platform and sandbox departments: real HTTP peers for development, tests and the demo.

Never active in production (``SANDBOX`` off). A sandbox department verifies our signature like a
real one, applies each ``Idempotency-Key`` once, and reports back through the signed callback.
Scenarios (:class:`SandboxScenario`) make it misbehave on purpose: outages, refusals, business
rejections, duplicate and out-of-order callbacks.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import uuid
from datetime import timedelta

from flask import current_app

from app import clock, outbound
from app.departments.signing import signed_headers, verify
from app.errors import NotFound
from app.extensions import db
from app.privacy.crypto import id_number_index
from app.sandbox.models import SandboxLoginCode, SandboxScenario, SandboxSubmission
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)
WORK_JOB = "jobs.sandbox.work_matter"
INTAKE_BEHAVIOURS = ("http_503", "http_400", "timeout_after_receipt")
REPORT_BEHAVIOURS = ("reject", "not_applicable", "refund_required", "duplicate_callbacks", "out_of_order", "silent")


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


# --- scenarios ---------------------------------------------------------------------------------

def add_scenario(*, department: str, behaviour: str, matter_code: str | None = None,
                 deceased_id_number: str | None = None, reason: str | None = None,
                 amount_fen: int | None = None, remaining: int | None = None) -> SandboxScenario:
    """Make a sandbox department misbehave for matching submissions (see :class:`SandboxScenario`)."""
    row = SandboxScenario(department=department, behaviour=behaviour, matter_code=matter_code,
                          deceased_id_index=id_number_index(deceased_id_number) if deceased_id_number else None,
                          reason=reason, amount_fen=amount_fen, remaining=remaining)
    db.session.add(row)
    db.session.commit()
    return row


def clear_scenarios() -> int:
    count = db.session.execute(db.delete(SandboxScenario)).rowcount
    db.session.commit()
    return count


def _take_scenario(department: str, payload: dict, behaviours: tuple[str, ...]) -> SandboxScenario | None:
    """The first matching scenario of ``behaviours``, one use consumed (inside the caller's transaction)."""
    code = payload["matter"]["code"]
    deceased = payload.get("data", {}).get("deceased", {}).get("id_number")
    query = (
        db.select(SandboxScenario)
        .filter(SandboxScenario.department == department, SandboxScenario.behaviour.in_(behaviours))
        .filter(db.or_(SandboxScenario.matter_code.is_(None), SandboxScenario.matter_code == code))
        .filter(db.or_(SandboxScenario.deceased_id_index.is_(None),
                       SandboxScenario.deceased_id_index == (id_number_index(deceased) if deceased else None)))
        .filter(db.or_(SandboxScenario.remaining.is_(None), SandboxScenario.remaining > 0))
        .order_by(SandboxScenario.id)
        .with_for_update()
    )
    row = db.session.execute(query.limit(1)).scalars().first()
    if row is not None and row.remaining is not None:
        row.remaining -= 1
    return row


# --- departments -------------------------------------------------------------------------------

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
    scenario = _take_scenario(department, payload, INTAKE_BEHAVIOURS)
    if scenario is not None and scenario.behaviour == "http_503":
        db.session.commit()
        return {"code": "unavailable", "message": "系统维护中"}, 503
    if scenario is not None and scenario.behaviour == "http_400":
        db.session.commit()
        return {"code": "bad_request", "message": scenario.reason or "报文不符合接口规范"}, 400
    row = SandboxSubmission(
        department=department, idempotency_key=key, matter_id=payload["matter"]["id"],
        matter_code=payload["matter"]["code"], payload=payload,
    )
    db.session.add(row)
    db.session.flush()
    enqueue_after_commit(WORK_JOB, row.id)
    db.session.commit()
    if scenario is not None and scenario.behaviour == "timeout_after_receipt":
        # Recorded, but the answer comes too late: the sender sees a timeout (ambiguous outcome).
        time.sleep(current_app.config["DEPARTMENT_TIMEOUT_SECONDS"] + 1)
    return {"receipt_id": row.id, "status": "received", "duplicate": False}, 202


def submission_status(*, department: str, idempotency_key: str, headers) -> dict:
    """Whether this department holds the attempt ``idempotency_key``; :class:`NotFound` if not."""
    cfg = current_app.config
    secrets_ = cfg["DEPARTMENT_CALLBACK_SECRETS"].get(department)
    if not secrets_:
        raise NotFound("未知的部门")
    verify(secrets_, headers, b"", now=int(clock.now().timestamp()), max_skew=cfg["CALLBACK_MAX_SKEW_SECONDS"])
    row = db.session.execute(
        db.select(SandboxSubmission).filter_by(department=department, idempotency_key=idempotency_key)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("没有该事项的办理记录")
    return {"receipt_id": row.id, "status": row.state}


def count_applied(*, matter_id: str | None = None) -> dict[str, int]:
    """How many submissions the sandbox applied, per idempotency key (tests: 0 duplicates)."""
    query = db.select(SandboxSubmission.idempotency_key)
    if matter_id:
        query = query.filter_by(matter_id=matter_id)
    keys = db.session.execute(query).scalars().all()
    return {key: keys.count(key) for key in set(keys)}


def work_matter(*, submission_id: int) -> None:
    """Play the department: report ``accepted``, then the outcome, through signed callbacks."""
    row = db.session.get(SandboxSubmission, submission_id)
    if row is None or row.state == "reported":
        return
    latency = current_app.config["SANDBOX_DEPARTMENT_LATENCY_SECONDS"]
    department, matter = row.department, row.payload["matter"]
    scenario = _take_scenario(department, row.payload, REPORT_BEHAVIOURS)
    behaviour = scenario.behaviour if scenario else None
    final = _final_report(row, scenario)
    if behaviour == "silent":  # received, never reported: a department that went quiet
        row.state = "silent"
        db.session.commit()
        return
    db.session.commit()  # hold no transaction while sleeping or calling back
    accepted = {"matter_id": matter["id"], "status": "accepted"}
    if matter["code"] == "cremation_certificate":
        accepted["events"] = {"cremated_at": clock.shanghai(clock.now()).isoformat()}
    reports = [final, accepted] if behaviour == "out_of_order" else [accepted, final]
    for report in reports:
        time.sleep(latency)
        delivery_id = _callback(department, report)
        if behaviour == "duplicate_callbacks":
            _callback(department, report, delivery_id=delivery_id)  # a replay of the same delivery
            _callback(department, report)  # and the same report again under a new delivery id
    row = db.session.get(SandboxSubmission, submission_id)
    row.state = "reported"
    db.session.commit()


def _final_report(row: SandboxSubmission, scenario: SandboxScenario | None) -> dict:
    matter_id = row.payload["matter"]["id"]
    if scenario is not None and scenario.behaviour == "reject":
        return {"matter_id": matter_id, "status": "rejected", "reason": scenario.reason or "信息有误，请核对后重新提交"}
    if scenario is not None and scenario.behaviour == "not_applicable":
        return {"matter_id": matter_id, "status": "not_applicable", "reason": scenario.reason or "经核查无需办理"}
    report = {"matter_id": matter_id, "status": "done", "outcome": _outcome(row)}
    if scenario is not None and scenario.behaviour == "refund_required":
        report["outcome"]["refund_required_fen"] = scenario.amount_fen or 12_345
    return report


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
        deceased = data.get("deceased", {})
        account = deceased.get("social_security_card") or deceased.get("bank_account") or {}
        outcome = {"payout_amount_fen": low + seed % (high - low), "payout_account": account.get("account_number")}
    if matter.get("effective_date"):
        outcome["effective_date"] = matter["effective_date"]
    return outcome


def _callback(department: str, report: dict, *, delivery_id: str | None = None) -> str:
    cfg = current_app.config
    url = f"{cfg['SANDBOX_CALLBACK_BASE_URL']}/api/v1/departments/{department}/callbacks"
    raw = json.dumps(report, ensure_ascii=False).encode()
    delivery_id = delivery_id or uuid.uuid4().hex
    for attempt in range(6):
        headers = signed_headers(cfg["DEPARTMENT_CALLBACK_SECRETS"][department][0], delivery_id,
                                 int(clock.now().timestamp()), raw)
        try:
            response = outbound.request("POST", url, body=raw, headers=headers, timeout=10)
        except outbound.RequestError:
            response = None
        if response is not None and response.status < 500:
            if response.status >= 400:
                log.warning("sandbox %s callback refused: %s", department, response.status)
            return delivery_id
        time.sleep(min(0.5 * 2**attempt, 8))
    log.error("sandbox %s callback gave up", department)
    return delivery_id
