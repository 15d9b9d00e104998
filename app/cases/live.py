"""The live case view for the app: a cheap "has anything changed?" and new events as they happen.

- ``ETag`` of ``GET /api/v1/cases/{id}``: made from the case's ``version`` (bumped by every
  timeline event), the last change to the case and its matters, and the caller; the app sends it
  back in ``If-None-Match`` and gets ``304`` while nothing changed.
- Long-poll ``GET /api/v1/cases/{id}/events?after=<event id>&wait=<seconds>``: answers at once
  when events newer than ``after`` exist, else polls the database every ``POLL_SECONDS`` until one
  appears or ``wait`` (≤ 30 s) passes. The database is the only channel, so any API process sees
  an event written by any other process or worker; no transaction is held while waiting.
"""
from __future__ import annotations

import hashlib
import time

from flask import current_app

from app.cases import answer_cache
from app.cases.members import active_members
from app.cases.models import Case, Event
from app.cases.service import get_case
from app.extensions import db
from app.identity.tokens import Principal
from schemas.cases import CaseSchema

MAX_WAIT_SECONDS = 30
POLL_SECONDS = 0.25


def fingerprint(case: Case) -> str:
    """What the ETag says about the case itself (not the caller): its version, its last change
    and its matters' last change and count, from the matters the answer itself shows (no query)."""
    matters = case.matters
    last_matter = max((m.updated_at for m in matters if m.updated_at is not None), default=None)
    return "|".join(str(part) for part in (case.id, case.version, case.updated_at, last_matter, len(matters)))


def etag(version: int, case_fingerprint: str, principal: Principal) -> str:
    """A quoted ETag such as ``"v12-3f0a…"`` for the case (``version``, :func:`fingerprint`) as
    ``principal`` sees it."""
    raw = "|".join((case_fingerprint, principal.kind, principal.subject, principal.role or ""))
    return f'"v{version}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"'


def case_answer(*, case_id: str, principal: Principal) -> tuple[bytes, str]:
    """The JSON bytes of ``GET /api/v1/cases/{id}`` (:class:`schemas.cases.CaseSchema`) and their
    ETag. Access is checked as :func:`app.cases.service.get_case` (raises ``NotFound``).

    A family member's answer comes from :mod:`app.cases.answer_cache` while the case is
    unchanged and the member is still bound to it — no database read; otherwise it is built from
    the database and kept for the next poll."""
    cached = answer_cache.lookup(case_id) if principal.kind == "family" else None
    if cached is not None and cached.answer is not None and principal.subject in cached.answer.members:
        answer = cached.answer
        return answer.body, etag(answer.version, answer.fingerprint, principal)
    case = get_case(case_id=case_id, principal=principal, with_matters=True)
    body = current_app.json.response(CaseSchema().dump(case)).get_data()
    case_fingerprint = fingerprint(case)
    if cached is not None and cached.start:
        answer_cache.start_token(case_id)
    elif cached is not None and cached.tokens is not None:
        answer_cache.store(case_id, cached.tokens, answer_cache.CachedAnswer(
            body=body, version=case.version, fingerprint=case_fingerprint, members=frozenset(active_members(case.id))))
    return body, etag(case.version, case_fingerprint, principal)


def events_after(*, case_id: str, principal: Principal, after: int = 0, wait: float = 0,
                 limit: int = 100) -> list[Event]:
    """Events of the case with ``id > after``, oldest first, at most ``limit``; waits up to
    ``wait`` seconds (capped at 30) for the first one. Raises ``NotFound`` like ``get_case``."""
    case_id = get_case(case_id=case_id, principal=principal).id
    deadline = time.monotonic() + max(0.0, min(float(wait), MAX_WAIT_SECONDS))
    query = db.select(Event).filter(Event.case_id == case_id, Event.id > after).order_by(Event.id).limit(limit)
    while True:
        events = list(db.session.execute(query).scalars())
        if events or time.monotonic() >= deadline:
            return events
        # End the read before sleeping: a fresh snapshot next time, and no lock held (SQLite's
        # BEGIN IMMEDIATE would otherwise block every writer for the whole wait).
        db.session.rollback()
        time.sleep(POLL_SECONDS)
