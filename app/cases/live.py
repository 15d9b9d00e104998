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

from app.cases.models import Case, Event
from app.cases.service import get_case
from app.extensions import db
from app.identity.tokens import Principal

MAX_WAIT_SECONDS = 30
POLL_SECONDS = 0.25


def case_etag(case: Case, principal: Principal) -> str:
    """A quoted ETag such as ``"v12-3f0a…"`` for ``case`` as ``principal`` sees it.

    Made from the matters the answer itself shows (loaded once for both), so it costs no query
    of its own."""
    matters = case.matters
    last_matter = max((m.updated_at for m in matters if m.updated_at is not None), default=None)
    count = len(matters)
    raw = "|".join(str(part) for part in (
        case.id, case.version, case.updated_at, last_matter, count,
        principal.kind, principal.subject, principal.role or "",
    ))
    return f'"v{case.version}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"'


def get_case_with_etag(*, case_id: str, principal: Principal) -> tuple[Case, str]:
    """The case (access checked as :func:`app.cases.service.get_case`) and its ETag."""
    case = get_case(case_id=case_id, principal=principal, with_matters=True)
    return case, case_etag(case, principal)


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
