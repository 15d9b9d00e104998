"""The family's case answer kept in Redis while the case is unchanged (issue 9: the hottest read).

The family's app polls ``GET /api/v1/cases/{id}``; building that answer costs the database, the
ORM and marshmallow several milliseconds for what is, between changes, the same bytes. With
``REDIS_URL`` set and ``CASE_ANSWER_CACHE_SECONDS`` > 0 the finished answer is kept in Redis:

- ``<RQ_QUEUE>:case-ver:<case id>`` — a random token, replaced after every committed change to the
  case, one of its matters or its members (a SQLAlchemy ``after_flush`` collects the case ids, the
  real ``after_commit`` replaces the tokens). An ORM bulk ``UPDATE``/``DELETE``/``INSERT`` on those
  tables names no rows, so it bumps ``<RQ_QUEUE>:case-ver:*`` instead, which voids every answer.
- ``<RQ_QUEUE>:case-answer:<case id>`` — the ETag's parts, the members allowed to read the answer,
  and the tokens and catalogue it was built under; ``…:case-answer-body:<case id>`` its bytes as
  sent. Served only while all still match.

A reader takes the tokens before it reads the database, so an answer built from a snapshot that a
change overtook is stored under a token that is already gone. A change committed by a process
that dies before it replaces the token is served stale for at most ``CASE_ANSWER_CACHE_SECONDS``.
Any Redis failure means "not cached": the read goes to the database, and Redis is left alone for
:data:`RETRY_AFTER_SECONDS`. On the embedded default (no Redis) nothing is cached.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: After a Redis failure the cache is skipped this long, so an outage costs one timeout, not one a request.
RETRY_AFTER_SECONDS = 5.0
_PENDING = "hsyjs_case_answer_changed"  # session.info: case ids changed in this transaction ("*": all)
_TOKEN_SECONDS = 7 * 24 * 3600  # a case's token outlives every answer stored under it
_client_lock = threading.Lock()


@dataclass(frozen=True)
class CachedAnswer:
    """A stored answer: ``body`` (the JSON bytes as sent), ``version`` and ``fingerprint`` (the
    ETag's parts, :func:`app.cases.live.etag`), ``members`` (family user ids bound to the case)."""

    body: bytes
    version: int
    fingerprint: str
    members: frozenset[str]


@dataclass(frozen=True)
class Lookup:
    """What :func:`lookup` found: ``answer`` when a current one is stored; ``tokens`` to store a
    new one under (``None`` when the cache is off or Redis failed)."""

    answer: CachedAnswer | None
    tokens: tuple[str, str] | None


_OFF = Lookup(None, None)


def _enabled(app: Flask) -> bool:
    return bool(app.config["REDIS_URL"]) and app.config["CASE_ANSWER_CACHE_SECONDS"] > 0


def _client(app: Flask):
    client = app.extensions.get("hsyjs_case_answer_redis")
    if client is None:
        from redis import Redis

        with _client_lock:
            client = app.extensions.get("hsyjs_case_answer_redis")
            if client is None:
                timeout = app.config["CASE_ANSWER_CACHE_TIMEOUT_SECONDS"]
                client = Redis.from_url(app.config["REDIS_URL"], socket_timeout=timeout,
                                        socket_connect_timeout=timeout)
                app.extensions["hsyjs_case_answer_redis"] = client
    return client


def _keys(app: Flask, case_id: str) -> tuple[str, str, str, str]:
    prefix = app.config["RQ_QUEUE"]
    return (f"{prefix}:case-ver:{case_id}", f"{prefix}:case-ver:*", f"{prefix}:case-answer:{case_id}",
            f"{prefix}:case-answer-body:{case_id}")


def _failed(app: Flask, what: str, exc: Exception) -> None:
    app.extensions["hsyjs_case_answer_down_until"] = time.monotonic() + RETRY_AFTER_SECONDS
    log.warning("case answer cache: %s failed (%s); reading from the database", what, type(exc).__name__)


def _usable(app: Flask) -> bool:
    return _enabled(app) and time.monotonic() >= app.extensions.get("hsyjs_case_answer_down_until", 0.0)


def lookup(case_id: str) -> Lookup:
    """The stored answer of case ``case_id`` if it is current (one Redis round trip), and the
    tokens to store a fresh one under. Never raises: a Redis failure is a miss with no tokens."""
    app = current_app._get_current_object()
    if not _usable(app):
        return _OFF
    from app.catalogue.service import catalogue_stamp

    ver_key, gen_key, answer_key, body_key = _keys(app, case_id)
    try:
        client = _client(app)
        version, generation, raw, body = client.mget(ver_key, gen_key, answer_key, body_key)
        if version is None:  # never read since its last change expired: start a token
            client.set(ver_key, uuid.uuid4().hex, ex=_TOKEN_SECONDS, nx=True)
            version = client.get(ver_key)
    except Exception as exc:  # noqa: BLE001 - any Redis trouble is a miss
        _failed(app, "lookup", exc)
        return _OFF
    tokens = ((version or b"").decode(), (generation or b"0").decode())
    if raw is None or body is None:
        return Lookup(None, tokens)
    try:
        entry = json.loads(raw)
    except ValueError:
        return Lookup(None, tokens)
    if (entry.get("tokens") != list(tokens) or entry.get("catalogue") != catalogue_stamp()):
        return Lookup(None, tokens)
    return Lookup(CachedAnswer(body=body, version=entry["version"],
                               fingerprint=entry["fingerprint"], members=frozenset(entry["members"])), tokens)


def store(case_id: str, tokens: tuple[str, str] | None, answer: CachedAnswer) -> None:
    """Keep ``answer`` for ``CASE_ANSWER_CACHE_SECONDS`` under ``tokens`` (from the
    :func:`lookup` made before the database read). Nothing when ``tokens`` is ``None``; never raises."""
    app = current_app._get_current_object()
    if tokens is None or not _usable(app):
        return
    from app.catalogue.service import catalogue_stamp

    entry = {"tokens": list(tokens), "catalogue": catalogue_stamp(), "version": answer.version,
             "fingerprint": answer.fingerprint, "members": sorted(answer.members)}
    _, _, answer_key, body_key = _keys(app, case_id)
    seconds = app.config["CASE_ANSWER_CACHE_SECONDS"]
    try:
        # One MULTI/EXEC, and one MGET to read: an entry is never paired with another build's body.
        _client(app).pipeline(transaction=True).set(body_key, answer.body, ex=seconds).set(
            answer_key, json.dumps(entry), ex=seconds).execute()
    except Exception as exc:  # noqa: BLE001
        _failed(app, "store", exc)


def changed(case_ids) -> None:
    """Void the stored answers of ``case_ids`` (``"*"`` among them voids all) at once. Called after
    commit by the session hooks below; never raises (a failure is logged: those answers may be
    served stale until they expire)."""
    if not has_app_context():
        return
    app = current_app._get_current_object()
    if not _enabled(app) or not case_ids:
        return
    try:
        pipe = _client(app).pipeline(transaction=False)
        for case_id in case_ids:
            ver_key, gen_key, _, _ = _keys(app, case_id)
            if case_id == "*":
                pipe.incr(gen_key)
            else:
                pipe.set(ver_key, uuid.uuid4().hex, ex=_TOKEN_SECONDS)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001
        log.error("case answer cache: %d changed case(s) not marked (%s); their answers may be up to %ss "
                  "old until they expire", len(case_ids), type(exc).__name__, app.config["CASE_ANSWER_CACHE_SECONDS"])


def _case_id_of(obj) -> str | None:
    from app.cases.models import Case, CaseMember
    from app.matters.models import Matter

    if isinstance(obj, Case):
        return obj.id
    if isinstance(obj, (Matter, CaseMember)):
        if obj.case_id is None and obj.__dict__.get("case") is not None:  # added through the relationship
            return obj.__dict__["case"].id
        return obj.case_id
    return None


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    ids = {case_id for obj in (*session.new, *session.dirty, *session.deleted)
           if (case_id := _case_id_of(obj)) is not None}
    if ids:
        session.info.setdefault(_PENDING, set()).update(ids)


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    from app.cases.models import Case, CaseMember
    from app.matters.models import Matter

    table = getattr(state.statement, "table", None)
    if table is not None and table.name in {Case.__tablename__, Matter.__tablename__, CaseMember.__tablename__}:
        state.session.info.setdefault(_PENDING, set()).add("*")


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    if session.in_nested_transaction():  # a released SAVEPOINT: wait for the real commit
        return
    changed(session.info.pop(_PENDING, None))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back: marking a case changed that did not is harmless
    session.info.pop(_PENDING, None)
