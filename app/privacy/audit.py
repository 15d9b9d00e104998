"""The audit log (issue 6 §3): every reveal, every staff read of a case, every staff change and
every export, with who, role, what, when, from where and whether it succeeded.

Staff requests touching a case are recorded by an ``after_request`` hook (one place, so a new
endpoint cannot forget it); reveals and exports add a row per field with the stated purpose.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g, has_request_context, request

from app import clock
from app.errors import Forbidden
from app.extensions import db
from app.identity.tokens import Principal
from app.privacy.models import AuditEntry

CASE_ARGS = ("case_id",)
#: Staff requests that touch a case named only in the answer: ``{rule: the answer's key}``
#: (a clerk files a case, claims an app case for the window; a village committee starts one).
CASE_IN_ANSWER = {"/api/v1/cases": "id", "/api/v1/windows/<window_id>/claims": "id",
                  "/api/v1/village/death-certificates": "case_id"}
#: Staff paths without a case id that still read or change case data.
AUDITED_PREFIXES = ("/api/v1/workbench", "/api/v1/admin", "/api/v1/supervision", "/api/v1/notify")


def record(*, principal: Principal, action: str, case_id: str | None, field: str | None = None,
           purpose: str | None = None, detail: str | None = None, success: bool = True) -> None:
    """Add one audit row in the caller's transaction."""
    db.session.add(AuditEntry(
        actor=f"{principal.kind}:{principal.subject}", role=principal.role or principal.kind, action=action,
        case_id=case_id, field=field, purpose=(purpose or None) and purpose[:200], detail=detail and detail[:200],
        remote_addr=request.remote_addr if has_request_context() else None, success=success,
    ))


def record_request(principal: Principal, *, case_id: str | None) -> None:
    """Add this staff request's audit row to the caller's transaction, so the change and its
    row are committed together; the ``after_request`` hook then adds none. Outside a request
    (a command, a job) there is no request to record: nothing is added."""
    if not has_request_context() or request.url_rule is None:
        return
    _record_request(principal, case_id=case_id, success=True)
    g.audit_recorded = True


def _record_request(principal: Principal, *, case_id: str | None, success: bool) -> None:
    action = "read" if request.method in {"GET", "HEAD"} else "change"
    record(principal=principal, action=action, case_id=case_id, detail=f"{request.method} {request.url_rule.rule}",
           success=success)


def _after_request(response):
    principal = g.get("principal")
    if principal is None or principal.kind != "staff" or request.url_rule is None:
        return response
    if g.get("audit_recorded") and response.status_code < 400:
        return response
    rule = request.url_rule.rule
    case_id = next((request.view_args.get(a) for a in CASE_ARGS if request.view_args and a in request.view_args), None)
    if case_id is None and rule in CASE_IN_ANSWER and request.method == "POST":
        answer = response.get_json(silent=True) if response.status_code < 400 else None
        case_id = answer.get(CASE_IN_ANSWER[rule]) if isinstance(answer, dict) else None
    elif case_id is None and not request.path.startswith(AUDITED_PREFIXES):
        return response
    try:
        if response.status_code >= 500 or not db.session().is_active:
            # The request failed unexpectedly: what it left in the session is half a change (or a
            # transaction the database already refused); the audit row must not commit it.
            db.session.rollback()
        _record_request(principal, case_id=case_id, success=response.status_code < 400)
        db.session.commit()
    except Exception:  # noqa: BLE001 - an audit failure is logged loudly, the answer stands
        db.session.rollback()
        current_app.logger.error("audit write failed for %s %s", request.method, rule)
    return response


def search(*, principal: Principal, case_id: str | None = None, actor: str | None = None,
           action: str | None = None, limit: int = 500) -> list[AuditEntry]:
    """Audit rows, newest first, for supervisors and admins. Raises :class:`Forbidden`."""
    if principal.kind != "staff" or principal.role not in {"supervisor", "admin"}:
        raise Forbidden()
    query = db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if case_id:
        query = query.filter_by(case_id=case_id)
    if actor:
        query = query.filter_by(actor=actor)
    if action:
        query = query.filter_by(action=action)
    return list(db.session.execute(query).scalars())


def purge_expired() -> int:
    """Delete audit rows older than ``AUDIT_RETENTION_DAYS`` (never under 180, 网络安全法 第21条)."""
    cutoff = clock.now() - timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"])
    count = db.session.execute(db.delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount
    db.session.commit()
    return count


def init_app(app: Flask) -> None:
    app.after_request(_after_request)
