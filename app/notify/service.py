"""Telling the family: an inbox message to each active member (or to the applicant alone).

Texts are plain, gentle Chinese and never carry ID, bank or phone numbers (SPEC §8).
"""
from __future__ import annotations

from app import clock
from app.cases.models import Case, CaseMember
from app.errors import NotFound
from app.extensions import db
from app.notify.models import Message


def notify_case(case: Case, *, title: str, body: str, applicant_only: bool = False) -> None:
    """Add an inbox message for the case's bound family (inside the caller's transaction)."""
    query = db.select(CaseMember).filter_by(case_id=case.id, status="active")
    if applicant_only:
        query = query.filter_by(role="applicant")
    for member in db.session.execute(query).scalars():
        db.session.add(Message(user_id=member.user_id, case_id=case.id, title=title[:40], body=body[:300]))


def list_messages(*, user_id: str, limit: int = 100) -> list[Message]:
    """The user's inbox, newest first."""
    query = (
        db.select(Message).filter_by(user_id=user_id).order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    )
    return list(db.session.execute(query).scalars())


def mark_read(*, user_id: str, message_id: int) -> Message:
    """Mark one of the user's messages read. Raises :class:`NotFound` for another's message."""
    message = db.session.get(Message, message_id)
    if message is None or message.user_id != user_id:
        raise NotFound("没有找到这条消息")
    if message.read_at is None:
        message.read_at = clock.now()
        db.session.commit()
    return message
