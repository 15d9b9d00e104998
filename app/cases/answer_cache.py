"""The family's case answer kept in Redis while the case is unchanged (issue 9: the hottest read).

The family's app polls ``GET /api/v1/cases/{id}``; building that answer costs the database, the
ORM and marshmallow several milliseconds for what is, between changes, the same bytes. With
``REDIS_URL`` set and ``CASE_ANSWER_CACHE_SECONDS`` > 0 the finished answer is kept in Redis:

- ``<RQ_QUEUE>:case-ver:<case id>`` — a random token naming the case's current state. Every
  committed change to the case, one of its matters or its members deletes it (a SQLAlchemy
  ``after_flush`` collects the case ids, the real ``after_commit`` deletes). An ORM bulk
  ``UPDATE``/``DELETE``/``INSERT`` on those tables names no rows, so it bumps the generation
  ``<RQ_QUEUE>:case-gen`` instead, which voids every answer.
- ``<RQ_QUEUE>:case-answer:<case id>`` — the ETag's parts, the members allowed to read the
  answer, and the token, generation and catalogue it was built under; ``…:case-answer-body:<id>``
  its bytes as sent, sealed with the data key (AES-GCM, ``app.privacy.crypto.seal_bytes``; the
  answer holds names and amounts). Served only while all still match.

A reader stores an answer only under a token that existed *before* its database read, so a
snapshot that a change overtook is never served. A reader that finds no token starts one after
its read succeeded (so a read refused with 404 writes nothing) and stores on the next read.
Tokens and answers live ``CASE_ANSWER_CACHE_SECONDS``.

Failures: any Redis failure in a read means "not cached" (the database answers) and Redis is left
alone for :data:`RETRY_AFTER_SECONDS`. A change that cannot be marked (Redis failed, or is being
left alone) is remembered in this process and marked before this process next uses the cache;
only a process that dies first leaves answers stale, for at most ``CASE_ANSWER_CACHE_SECONDS``.
On the embedded default (no Redis) nothing is cached.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import tracked_keys

log = logging.getLogger(__name__)

#: After a Redis failure the cache is skipped this long, so an outage costs one timeout, not one a request.
RETRY_AFTER_SECONDS = 5.0
#: Answers kept opened (parsed and decrypted) in a process, with the stored bytes they came from.
OPENED_KEPT = 64
#: Changes remembered for marking later; past this many, every answer is voided instead.
MAX_UNMARKED = 10_000
ALL = "*"  # in a set of changed case ids: an ORM bulk statement, every answer is void
_PENDING = "hsyjs_case_answer_changed"  # session.info: case ids changed in this transaction
_CASE_ID = re.compile(r"[0-9a-f]{32}")  # app.cases.models.new_id: nothing else is looked up
_lock = threading.Lock()


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
    new one under, taken before the database read (``None``: do not store); ``start`` when the
    case has no token yet (:func:`start_token` after a successful read)."""

    answer: CachedAnswer | None
    tokens: tuple[str, str] | None
    start: bool = False


_OFF = Lookup(None, None)


def _enabled(app: Flask) -> bool:
    return bool(app.config["REDIS_URL"]) and app.config["CASE_ANSWER_CACHE_SECONDS"] > 0


def _client(app: Flask):
    client = app.extensions.get("hsyjs_case_answer_redis")
    if client is None:
        from redis import Redis

        with _lock:
            client = app.extensions.get("hsyjs_case_answer_redis")
            if client is None:
                timeout = app.config["CASE_ANSWER_CACHE_TIMEOUT_SECONDS"]
                client = Redis.from_url(app.config["REDIS_URL"], socket_timeout=timeout,
                                        socket_connect_timeout=timeout)
                app.extensions["hsyjs_case_answer_redis"] = client
    return client


def key_prefix(app: Flask) -> str:
    """What every key of this cache starts with (``app.tracked_keys`` follows them)."""
    return f"{app.config['RQ_QUEUE']}:case-"


def _keys(app: Flask, case_id: str) -> tuple[str, str, str, str]:
    prefix = key_prefix(app)
    return (f"{prefix}ver:{case_id}", f"{prefix}gen", f"{prefix}answer:{case_id}", f"{prefix}answer-body:{case_id}")


def _aad(case_id: str) -> str:
    return f"case-answer.{case_id}"


def _failed(app: Flask, what: str, exc: Exception) -> None:
    app.extensions["hsyjs_case_answer_down_until"] = time.monotonic() + RETRY_AFTER_SECONDS
    log.warning("case answer cache: %s failed (%s); reading from the database", what, type(exc).__name__)


def _usable(app: Flask) -> bool:
    if not _enabled(app) or time.monotonic() < app.extensions.get("hsyjs_case_answer_down_until", 0.0):
        return False
    return not app.extensions.get("hsyjs_case_answer_unmarked") or _mark_unmarked(app)


def prefetch_keys(view_args: dict) -> tuple[str, ...]:
    """The keys :func:`lookup` reads for ``view_args["case_id"]``, for the request's
    authentication to read with its revocation check (``login_required(prefetch=…)``); none
    when the cache is off or marked down, or the id is malformed."""
    app = current_app._get_current_object()
    case_id = view_args.get("case_id") or ""
    if not _CASE_ID.fullmatch(case_id) or not _usable(app):
        return ()
    return _keys(app, case_id)


def lookup(case_id: str) -> Lookup:
    """The stored answer of case ``case_id`` if it is current, and the tokens to store a fresh
    one under: read already with the request's authentication (:func:`prefetch_keys`), else in
    one Redis round trip. Never raises: a Redis failure is a miss with no tokens."""
    app = current_app._get_current_object()
    if not _CASE_ID.fullmatch(case_id) or not _usable(app):
        return _OFF
    from app.catalogue.service import catalogue_stamp

    keys = _keys(app, case_id)
    prefetched = g.get("redis_prefetched") if has_request_context() else None
    try:
        if prefetched is not None and all(key in prefetched for key in keys):
            version, generation, raw, body = (prefetched[key] for key in keys)
        else:
            version, generation, raw, body = tracked_keys.mget(app, _client(app), keys)
    except Exception as exc:  # noqa: BLE001 - any Redis trouble is a miss
        _failed(app, "lookup", exc)
        return _OFF
    if version is None:
        return Lookup(None, None, start=True)
    tokens = (version.decode(), (generation or b"0").decode())
    if raw is None or body is None:
        return Lookup(None, tokens)
    opened = _opened(app, case_id, raw, body)
    if opened is None:
        return Lookup(None, tokens)
    entry, answer = opened
    if entry.get("tokens") != list(tokens) or entry.get("catalogue") != catalogue_stamp():
        return Lookup(None, tokens)
    return Lookup(answer, tokens)


def _opened(app: Flask, case_id: str, raw: bytes, sealed: bytes) -> tuple[dict, CachedAnswer] | None:
    """The stored entry ``raw`` and the answer opened from ``sealed``; ``None`` when unreadable or
    sealed under a key since retired. The last :data:`OPENED_KEPT` opened in this process are
    kept with the bytes they came from, so a poll of an unchanged case neither parses nor
    decrypts again (issue 9)."""
    kept_by_case = app.extensions.setdefault("hsyjs_case_answer_opened", OrderedDict())
    kept = kept_by_case.get(case_id)
    if kept is not None and kept[0] == raw and kept[1] == sealed:
        return kept[2], kept[3]
    from app.privacy.crypto import SealedValueError, open_bytes

    try:
        entry = json.loads(raw)
        answer = CachedAnswer(body=open_bytes(sealed, aad=_aad(case_id)), version=entry["version"],
                              fingerprint=entry["fingerprint"], members=frozenset(entry["members"]))
    except (ValueError, KeyError, TypeError, SealedValueError):  # unreadable, or sealed under a retired key
        return None
    with _lock:
        kept_by_case[case_id] = (raw, sealed, entry, answer)
        kept_by_case.move_to_end(case_id)
        while len(kept_by_case) > OPENED_KEPT:
            kept_by_case.popitem(last=False)
    return entry, answer


def start_token(case_id: str) -> None:
    """Give case ``case_id`` a token (its answer is stored from the next read on). Call after a
    read that found none and succeeded; never raises."""
    app = current_app._get_current_object()
    if not _CASE_ID.fullmatch(case_id) or not _usable(app):
        return
    try:
        ver_key = _keys(app, case_id)[0]
        _client(app).set(ver_key, uuid.uuid4().hex, ex=app.config["CASE_ANSWER_CACHE_SECONDS"], nx=True)
        tracked_keys.forget(app, (ver_key,))
    except Exception as exc:  # noqa: BLE001
        _failed(app, "start", exc)


def store(case_id: str, tokens: tuple[str, str] | None, answer: CachedAnswer) -> None:
    """Keep ``answer`` for ``CASE_ANSWER_CACHE_SECONDS`` under ``tokens`` (from the
    :func:`lookup` made before the database read). Nothing when ``tokens`` is ``None``; never raises."""
    app = current_app._get_current_object()
    if tokens is None or not _usable(app):
        return
    from app.catalogue.service import catalogue_stamp
    from app.privacy.crypto import seal_bytes

    entry = {"tokens": list(tokens), "catalogue": catalogue_stamp(), "version": answer.version,
             "fingerprint": answer.fingerprint, "members": sorted(answer.members)}
    _, _, answer_key, body_key = _keys(app, case_id)
    seconds = app.config["CASE_ANSWER_CACHE_SECONDS"]
    try:
        # One MULTI/EXEC, and one MGET to read: an entry is never paired with another build's body.
        sealed = seal_bytes(answer.body, aad=_aad(case_id))
        _client(app).pipeline(transaction=True).set(body_key, sealed, ex=seconds).set(
            answer_key, json.dumps(entry), ex=seconds).execute()
        tracked_keys.forget(app, (answer_key, body_key))
    except Exception as exc:  # noqa: BLE001
        _failed(app, "store", exc)


def changed(case_ids) -> None:
    """Void the stored answers of ``case_ids`` (:data:`ALL` among them voids every answer).
    Called after commit by the session hooks below; never raises and never waits on a Redis that
    just failed: what cannot be marked now is marked before this process next uses the cache."""
    if not case_ids or not has_app_context():
        return
    app = current_app._get_current_object()
    if not _enabled(app):
        return
    with _lock:
        unmarked = app.extensions.setdefault("hsyjs_case_answer_unmarked", set())
        unmarked.update(case_ids)
        if len(unmarked) > MAX_UNMARKED:
            unmarked.clear()
            unmarked.add(ALL)
    if time.monotonic() >= app.extensions.get("hsyjs_case_answer_down_until", 0.0):
        _mark_unmarked(app)


def _mark_unmarked(app: Flask) -> bool:
    """Send the remembered changes to Redis; ``True`` when none is left unmarked."""
    with _lock:
        unmarked = app.extensions.get("hsyjs_case_answer_unmarked") or set()
        batch, unmarked_now = set(unmarked), unmarked
        unmarked_now.clear()
    if not batch:
        return True
    try:
        pipe = _client(app).pipeline(transaction=False)
        written = []
        for case_id in batch:
            ver_key, gen_key, _, _ = _keys(app, case_id)
            if case_id == ALL:
                pipe.incr(gen_key)
                written.append(gen_key)
            else:
                pipe.delete(ver_key)
                written.append(ver_key)
        pipe.execute()
        tracked_keys.forget(app, written)
        return True
    except Exception as exc:  # noqa: BLE001
        with _lock:
            app.extensions.setdefault("hsyjs_case_answer_unmarked", set()).update(batch)
        app.extensions["hsyjs_case_answer_down_until"] = time.monotonic() + RETRY_AFTER_SECONDS
        log.error("case answer cache: %d changed case(s) not marked yet (%s); marked when Redis answers "
                  "again", len(batch), type(exc).__name__)
        return False


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
        state.session.info.setdefault(_PENDING, set()).add(ALL)


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
