"""Sending matters to departments and taking their signed reports back (SPEC §7)."""
from __future__ import annotations

import json
import logging
import random
import time

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import clock
from app.catalogue.service import get_matter
from app.departments.adapters import DepartmentError, Submission, adapter_for
from app.departments.models import CallbackDelivery
from app.departments.signing import verify
from app.errors import NotFound, RuleViolation
from app.extensions import db
from app.matters.models import Matter
from app.matters.service import mark_dispatch_failed, mark_dispatched, record_department_report

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4


def dispatch_matter(*, matter_id: str) -> str:
    """Send a released matter to its department through its adapter (job).

    Retries transient failures up to ``MAX_ATTEMPTS`` times with exponential backoff and jitter
    (same ``Idempotency-Key``, so the department applies it once); a final failure becomes the
    visible ``dispatch_state = failed`` with the reason. Out: the resulting dispatch state.
    """
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.dispatch_state != "pending":
        return matter.dispatch_state if matter else "missing"
    case = matter.case
    submission = Submission(
        matter_id=matter.id,
        matter_code=matter.code,
        matter_name=get_matter(matter.code)["name"],
        case_reference=case.reference,
        attempt=matter.attempt,
        idempotency_key=matter.idempotency_key,
        form=case.form,
        effective_date=matter.effective_date.isoformat() if matter.effective_date else None,
        callback_url=f"{current_app.config['PUBLIC_BASE_URL']}/api/v1/departments/{matter.department}/callbacks",
    )
    adapter = adapter_for(matter.department)
    db.session.commit()  # no transaction (nor SQLite's write lock) held across the network call
    error: DepartmentError | None = None
    for attempt in range(MAX_ATTEMPTS):
        try:
            adapter.submit(submission)
            error = None
            break
        except DepartmentError as exc:
            error = exc
            if not exc.retryable:
                break
            time.sleep(min(0.2 * 2**attempt, 5) * (0.5 + random.random()))
    matter = db.session.get(Matter, matter_id, with_for_update=True, populate_existing=True)
    if error is None:
        if matter.dispatch_state == "pending":
            mark_dispatched(matter)
    elif matter.dispatch_state == "pending":
        mark_dispatch_failed(matter, reason=error.reason)
    db.session.commit()
    return matter.dispatch_state


def receive_callback(*, department: str, headers, raw_body: bytes, report: dict) -> dict:
    """Apply a department's signed status report exactly once.

    In: the raw body (for the signature) and the loaded report (``schemas.departments``).
    Out: ``{"applied": bool, "duplicate": bool}``. Raises ``Unauthorized`` for a bad signature,
    :class:`NotFound` for an unknown department or matter, ``Conflict`` for an impossible report.
    """
    secrets = current_app.config["DEPARTMENT_CALLBACK_SECRETS"].get(department)
    if not secrets:
        raise NotFound("未知的部门")
    delivery_id = verify(
        secrets, headers, raw_body,
        now=int(clock.now().timestamp()), max_skew=current_app.config["CALLBACK_MAX_SKEW_SECONDS"],
    )
    if db.session.get(CallbackDelivery, delivery_id) is not None:
        return {"applied": False, "duplicate": True}
    matter = db.session.get(Matter, report["matter_id"], with_for_update=True)
    if matter is None or matter.department != department:
        raise NotFound("没有找到该事项")
    db.session.add(CallbackDelivery(delivery_id=delivery_id, department=department, matter_id=matter.id))
    changed = record_department_report(
        matter=matter,
        department=department,
        status=report["status"],
        outcome=report.get("outcome"),
        reason=report.get("reason"),
        events=report.get("events"),
        actor=f"department:{department}",
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same delivery raced in on another process
        db.session.rollback()
        return {"applied": False, "duplicate": True}
    return {"applied": changed, "duplicate": False}


def parse_json(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise RuleViolation("请求内容不是有效的 JSON", code="bad_json") from None
    if not isinstance(data, dict):
        raise RuleViolation("请求内容应为 JSON 对象", code="bad_json")
    return data
