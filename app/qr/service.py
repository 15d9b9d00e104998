"""码上办 (SPEC §6): case and window QR tokens, the scan preview and binding.

A token is 27 characters of base64url (a subset of the mini-program ``scene`` character set,
≤ 32 characters), 160 bits derived by HMAC-SHA256 from a random per-token nonce and the
server's ``QR_SECRET``. Only its SHA-256 is stored for lookup.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import io
import secrets
from datetime import timedelta

import qrcode
import qrcode.image.svg
from flask import current_app

from app import clock
from app.cases.models import Case, CaseMember, QrToken
from app.cases.timeline import record_event
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.identity.models import FamilyUser, Window
from app.identity.tokens import Principal

TOKEN_LENGTH = 27


def _token_from_nonce(nonce: str) -> str:
    digest = hmac.new(current_app.config["QR_SECRET"].encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TOKEN_LENGTH]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(*, kind: str, case_id: str | None = None, window_id: str | None = None, days: int | None) -> QrToken:
    nonce = secrets.token_hex(16)
    row = QrToken(
        kind=kind,
        case_id=case_id,
        window_id=window_id,
        nonce=nonce,
        token_hash=_hash(_token_from_nonce(nonce)),
        expires_at=clock.now() + timedelta(days=days) if days else None,
    )
    db.session.add(row)
    return row


def issue_case_token(case: Case, *, first: bool = False) -> QrToken:
    """A new QR token for ``case``; earlier ones stop working (inside the caller's transaction).
    ``first``: the case is being filed in this transaction, so it has no earlier token."""
    if not first:
        db.session.execute(db.update(QrToken).where(QrToken.case_id == case.id, QrToken.revoked_at.is_(None))
                           .values(revoked_at=clock.now()))
    return _issue(kind="case", case_id=case.id, days=current_app.config["QR_TOKEN_DAYS"])


def window_token(window_id: str) -> QrToken:
    """The static intake QR of a window (no expiry), created on first use."""
    row = db.session.execute(
        db.select(QrToken).filter_by(kind="window", window_id=window_id, revoked_at=None)
    ).scalars().first()
    if row is None:
        row = _issue(kind="window", window_id=window_id, days=None)
        db.session.commit()
    return row


def current_case_token(case: Case) -> QrToken:
    row = db.session.execute(
        db.select(QrToken).filter_by(case_id=case.id, revoked_at=None).order_by(QrToken.id.desc())
    ).scalars().first()
    if row is None:
        raise NotFound("该申请尚未受理，还没有二维码")
    if row.expires_at and row.expires_at <= clock.now():
        raise NotFound("二维码已过期，请重新生成", code="qr_expired")
    return row


def token_of(row: QrToken) -> str:
    """The token itself (≤ 32 characters), re-derived from the row's nonce and ``QR_SECRET``."""
    return _token_from_nonce(row.nonce)


def link_for(row: QrToken) -> str:
    """The URL the QR code encodes: the app page with the token as ``scene``."""
    return f"{current_app.config['QR_LINK_BASE']}?scene={token_of(row)}"


@functools.lru_cache(maxsize=256)
def render(link: str, *, fmt: str) -> tuple[bytes, str]:
    """The QR image of ``link`` as ``(bytes, mimetype)``; ``fmt`` is ``png`` or ``svg``.

    A token's link never changes, and the clerk's screen and the family's app fetch the same code
    again and again: the last 256 renderings are kept (≈ 1–4 KB each), so a repeat costs no
    encoding (≈ 20 ms of CPU each otherwise; docs/BENCHMARKS.md)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(link)
    qr.make(fit=True)
    buffer = io.BytesIO()
    if fmt == "svg":
        qr.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
        return buffer.getvalue(), "image/svg+xml"
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue(), "image/png"


def _lookup(token: str) -> QrToken:
    if not token or len(token) > 32:
        raise NotFound("二维码无效", code="invalid_qr")
    row = db.session.execute(db.select(QrToken).filter_by(token_hash=_hash(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= clock.now()):
        raise NotFound("二维码无效或已过期，请向窗口工作人员索取新的二维码", code="invalid_qr")
    return row


def case_of_token(token: str) -> Case:
    """The case behind a case QR token. Raises :class:`NotFound` for any other token."""
    row = _lookup(token)
    if row.kind != "case":
        raise NotFound("这不是申请二维码", code="invalid_qr")
    return db.session.get(Case, row.case_id)


def _catch_up(case: Case, *, user_id: str) -> None:
    """What happened before the applicant bound and still needs them: join requests waiting
    for approval, matters sent back for correction."""
    pending = db.session.execute(
        db.select(CaseMember).filter_by(case_id=case.id, status="pending")
    ).scalars().all()
    if pending:
        record_event(case, kind="join_requested", actor=f"family:{user_id}", applicant_only=True,
                     summary=f"有{len(pending)}位亲属申请查看此申请的办理进度，请在“成员”中确认。")
    if case.status == "completed":
        from app.notify.service import notify_case

        # Inbox only: the timeline already holds the completion once.
        notify_case(case, title="全部事项已办结", body=f"{case.deceased_name}的身后事项已全部办结。", applicant_only=True)
    rejected = [m for m in case.matters if m.status == "rejected"]
    if rejected:
        record_event(case, kind="matter_rejected", actor="system", applicant_only=True,
                     summary=f"有{len(rejected)}个事项需要您补充或更正，请查看申请详情。")


def window_of_intake_token(token: str) -> str:
    """The window id behind a window intake token. Raises :class:`NotFound` for any other token."""
    row = _lookup(token)
    if row.kind != "window":
        raise NotFound("窗口办事码无效", code="invalid_qr")
    return row.window_id


def mask_name(name: str) -> str:
    """王建国 → 王**: the family name only (SPEC §6)."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def scan(*, token: str) -> dict:
    """What a token is, with nothing personal: ``{"kind": "case"|"window", "window_name",
    "deceased_masked_name" (case only)}``. Raises :class:`NotFound` for a bad token."""
    row = _lookup(token)
    if row.kind == "window":
        window = db.session.get(Window, row.window_id)
        return {"kind": "window", "window_id": window.id, "window_name": window.name}
    case = db.session.get(Case, row.case_id)
    window = db.session.get(Window, case.window_id) if case.window_id else None
    return {
        "kind": "case",
        "window_name": window.name if window else None,
        "deceased_masked_name": mask_name(case.deceased_name),
    }


def bind(*, token: str, user_id: str) -> dict:
    """Bind the logged-in family member to the scanned case (SPEC §6).

    The applicant (ID number matches the form's) becomes an active member at once; another
    relative is recorded as ``pending`` until the applicant approves (``app.cases.members``) —
    also one refused or removed before, who may ask again but sees nothing meanwhile. Out:
    ``{"case_id", "membership": "applicant"|"member"|"pending"}``. Raises :class:`NotFound`
    for a bad token, :class:`Conflict` for a window token.
    """
    row = _lookup(token)
    if row.kind != "case":
        raise Conflict("这是窗口的办事二维码，请在应用中新建申请", code="window_qr")
    case = db.session.get(Case, row.case_id, with_for_update=True)
    user = db.session.get(FamilyUser, user_id)
    member = db.session.execute(db.select(CaseMember).filter_by(case_id=case.id, user_id=user.id)).scalar_one_or_none()
    if member is not None and member.status in {"active", "pending"}:
        return {"case_id": case.id, "membership": member.role if member.status == "active" else "pending"}
    is_applicant = user.id_number_index == case.applicant_id_index
    if member is None:
        member = CaseMember(case_id=case.id, user_id=user.id)
        db.session.add(member)
    member.role = "applicant" if is_applicant else "member"
    member.status = "active" if is_applicant else "pending"
    db.session.flush()
    if is_applicant:
        case.applicant_user_id = user.id
        record_event(case, kind="member_bound", summary="您已关联此申请，办理进度将在这里通知您。",
                     actor=f"family:{user.id}", applicant_only=True)
        _catch_up(case, user_id=user.id)
    else:
        record_event(case, kind="join_requested", summary=f"{mask_name(user.name)}申请查看此申请的办理进度，请确认。",
                     actor=f"family:{user.id}", applicant_only=True)
    db.session.commit()
    return {"case_id": case.id, "membership": "applicant" if is_applicant else "pending"}


def _case_for_qr(case_id: str, principal: Principal) -> Case:
    """The case, if ``principal`` may show or re-issue its QR code (SPEC §10: applicant, clerk).

    Raises :class:`NotFound` for an unknown case or one the caller cannot see, and
    :class:`Forbidden` for a reader who is neither the applicant nor the case's window.
    """
    from app.cases.service import get_case  # app.cases.service imports this module

    case = get_case(case_id=case_id, principal=principal)
    if principal.kind == "family":
        allowed = db.session.execute(
            db.select(CaseMember.id).filter_by(case_id=case.id, user_id=principal.subject, status="active",
                                               role="applicant")
        ).first() is not None
    else:
        allowed = principal.role == "admin" or (
            principal.role in {"clerk", "village_committee"} and case.window_id == principal.window_id)
    if not allowed:
        raise Forbidden("只有申请人和受理窗口可以出示或更换二维码")
    return case


def case_qr(*, case_id: str, principal: Principal) -> QrToken:
    """The case's current QR token for the applicant or the case's window.

    Raises :class:`NotFound` (also when no code is live: not yet accepted, or revoked) and
    :class:`Forbidden` as :func:`_case_for_qr`."""
    return current_case_token(_case_for_qr(case_id, principal))


def reissue_case_qr(*, case_id: str, principal: Principal) -> QrToken:
    """A new QR token for the case (e.g. a photo of the old one got around); the old one stops
    working at once and nobody can bind with it any more. Members already bound keep access.

    Raises :class:`NotFound` / :class:`Forbidden` as :func:`_case_for_qr` and :class:`Conflict`
    before the case is accepted or after it was withdrawn.
    """
    case = _case_for_qr(case_id, principal)
    if case.status not in {"accepted", "in_progress", "completed"}:
        raise Conflict("申请受理后才有二维码", code="case_not_accepted")
    row = issue_case_token(case)
    record_event(case, kind="qr_reissued", summary="申请二维码已更换，旧二维码已失效。",
                 actor=f"{principal.kind}:{principal.subject}", notify=False)
    db.session.commit()
    return row


def revoke_case_qr(*, case_id: str, principal: Principal) -> None:
    """Withdraw the case's QR code without a new one; scanning it answers 404 from now on.
    Raises as :func:`_case_for_qr`."""
    case = _case_for_qr(case_id, principal)
    db.session.execute(
        db.update(QrToken).where(QrToken.case_id == case.id, QrToken.revoked_at.is_(None)).values(revoked_at=clock.now())
    )
    record_event(case, kind="qr_revoked", summary="申请二维码已停用。", actor=f"{principal.kind}:{principal.subject}",
                 notify=False)
    db.session.commit()


def qr_answer(row: QrToken) -> dict:
    """``{"link", "token", "expires_at"}`` of a token row (the JSON form of a QR code)."""
    return {"link": link_for(row), "token": token_of(row), "expires_at": row.expires_at}
