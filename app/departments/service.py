"""Sending matters to departments and taking their signed reports back (SPEC §7).

Outbox: a matter's ``dispatch_state`` lives in the database (idle → pending → sent | failed),
written in the transaction that makes it ready; the job carries the matter id only and is sent
after commit. Each send of one attempt carries the same ``Idempotency-Key``
(``{matter id}.{attempt}``), so a department applies it once however often it arrives.
"""
from __future__ import annotations

import logging
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import clock, tasks
from app.catalogue.service import get_matter
from app.departments.adapters import DepartmentError, Submission, adapter_for
from app.departments.models import CallbackDelivery
from app.departments.signing import verify
from app.errors import NotFound
from app.extensions import db
from app.identity.tokens import Principal
from app.privacy import audit
from app.matters.models import Matter
from app.matters.service import DISPATCH_JOB, mark_dispatch_failed, mark_dispatched, record_department_report
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)


def retry_delay(tries: int) -> float:
    """Seconds before send number ``tries + 1``: full jitter over min(cap, base·2^tries)."""
    cfg = current_app.config
    ceiling = min(cfg["DEPARTMENT_RETRY_CAP_SECONDS"], cfg["DEPARTMENT_RETRY_BASE_SECONDS"] * 2**tries)
    return ceiling * (0.5 + random.random() / 2)


def _submission(matter: Matter) -> Submission:
    case = matter.case
    return Submission(
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


def dispatch_matter(*, matter_id: str) -> str:
    """Send a released matter to its department once (job). Out: the resulting dispatch state.

    A transient failure (network, timeout, 408, 429, 5xx) schedules the next send after
    :func:`retry_delay`, up to ``DEPARTMENT_MAX_ATTEMPTS`` sends; before each re-send the
    department is asked whether it already holds the attempt (a timeout may have hidden a
    success). A final failure (other 4xx, or retries exhausted) becomes the visible
    ``dispatch_state = failed`` with the department's reason: the dead-letter list.
    """
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.dispatch_state != "pending":
        return matter.dispatch_state if matter else "missing"
    if matter.next_attempt_at and matter.next_attempt_at > clock.now() + timedelta(seconds=1):
        return "scheduled"  # an early duplicate (reconciler): the scheduled retry will run
    submission, tries = _submission(matter), matter.dispatch_tries
    adapter = adapter_for(matter.department)
    # The department receives full values: that is a reveal, recorded like any other.
    audit.record(principal=Principal(kind="system", subject=f"adapter:{matter.department}", role="adapter"),
                 action="reveal", case_id=matter.case_id, field=f"{matter.department}:minimum",
                 purpose=f"推送{matter.code}至{matter.department}办理")
    db.session.commit()  # no transaction (nor SQLite's write lock) held across the network call
    error: DepartmentError | None = None
    try:
        held = adapter.status(submission.idempotency_key) if tries > 0 else None
        if held is None:
            adapter.submit(submission)
    except DepartmentError as exc:
        error = exc
    except Exception as exc:
        if not tasks.is_job_timeout(exc):
            raise
        # The department kept the line open past the job's time (a trickle no read timeout
        # catches): a send with no answer, tried again with the same idempotency key.
        log.warning("dispatch of matter %s cut off by the job's timeout", matter_id)
        error = DepartmentError("部门系统在时限内没有答复", retryable=True)
    matter = db.session.get(Matter, matter_id, with_for_update=True, populate_existing=True)
    if matter.dispatch_state != "pending" or matter.idempotency_key != submission.idempotency_key:
        db.session.commit()
        return matter.dispatch_state
    if error is None:
        matter.next_attempt_at = None
        mark_dispatched(matter)
    elif error.retryable and tries + 1 < current_app.config["DEPARTMENT_MAX_ATTEMPTS"]:
        delay = retry_delay(tries)
        matter.dispatch_tries = tries + 1
        matter.next_attempt_at = clock.now() + timedelta(seconds=delay)
        matter.dispatch_error = error.reason[:300]
        log.warning("dispatch of matter %s failed (%s), retry %d in %.1f s", matter.id, error.reason,
                    tries + 1, delay, extra={"matter_id": matter.id, "department": matter.department})
        enqueue_after_commit(DISPATCH_JOB, matter.id, delay_seconds=delay)
    else:
        matter.dispatch_tries = tries + 1
        matter.next_attempt_at = None
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

