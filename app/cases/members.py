"""The family bound to a case (SPEC §6): who may follow it, join requests and removal.

The applicant binds by ID match; another relative who scans the case's QR code asks to join
(``pending``) and the applicant approves (``active``) or refuses (``refused``). The applicant may
remove a member (``removed``), and a member may leave. Access is checked against these rows on
every request (``app.cases.service.can_read``), so a removed member loses access at once.
"""
from __future__ import annotations

from app.cases.models import Case, CaseMember
from app.cases.service import get_case
from app.cases.timeline import record_event
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.identity.models import FamilyUser
from app.identity.tokens import Principal
from app.masking import mask_phone
from app.qr.service import mask_name


def active_members(case_id: str) -> list[str]:
    """The family user ids actively bound to case ``case_id``: who may read it (SPEC §9)."""
    return list(db.session.execute(
        db.select(CaseMember.user_id).filter_by(case_id=case_id, status="active")
    ).scalars())


def _is_applicant(case: Case, principal: Principal) -> bool:
    if principal.kind != "family":
        return False
    return db.session.execute(
        db.select(CaseMember.id).filter_by(case_id=case.id, user_id=principal.subject, status="active", role="applicant")
    ).first() is not None


def _member(case: Case, member_id: int) -> CaseMember:
    member = db.session.get(CaseMember, member_id)
    if member is None or member.case_id != case.id:
        raise NotFound("没有找到该家属")
    return member


def list_members(*, case_id: str, principal: Principal) -> list[dict]:
    """Members of the case, applicant first.

    The applicant sees everyone, pending requests included, with full name and masked phone
    (to decide who may join); other members and the case's window see active members with masked
    names only. Out: a list of ``{id, role, status, name, phone (masked or None), is_me,
    created_at}``. Raises :class:`NotFound` for a case the caller cannot see and
    :class:`Forbidden` for other staff (departments and supervisors need no family list).
    """
    case = get_case(case_id=case_id, principal=principal)
    if principal.kind == "staff" and not (
        principal.role == "admin"
        or (principal.role in {"clerk", "village_committee"} and case.window_id == principal.window_id)
    ):
        raise Forbidden("只有申请人的家属和受理窗口可以查看关联家属")
    applicant_view = _is_applicant(case, principal)
    query = (
        db.select(CaseMember, FamilyUser)
        .join(FamilyUser, FamilyUser.id == CaseMember.user_id)
        .filter(CaseMember.case_id == case.id)
        .order_by(CaseMember.role != "applicant", CaseMember.id)
    )
    if not applicant_view:
        query = query.filter(CaseMember.status == "active")
    answer = []
    for member, user in db.session.execute(query).all():
        is_me = principal.kind == "family" and user.id == principal.subject
        answer.append({
            "id": member.id,
            "role": member.role,
            "status": member.status,
            "name": user.name if applicant_view or is_me else mask_name(user.name),
            "phone": mask_phone(user.phone) if applicant_view or is_me else None,
            "is_me": is_me,
            "created_at": member.created_at,
        })
    return answer


def _for_applicant(case_id: str, member_id: int, principal: Principal) -> tuple[Case, CaseMember]:
    case = get_case(case_id=case_id, principal=principal)
    member = _member(case, member_id)
    if not _is_applicant(case, principal):
        raise Forbidden("只有申请人可以处理家属的加入申请")
    return case, member


def approve_member(*, case_id: str, member_id: int, principal: Principal) -> dict:
    """The applicant lets a relative who scanned the code follow the case (pending → active).

    Raises :class:`NotFound` (case or member unknown or not visible), :class:`Forbidden` (not
    the applicant), :class:`Conflict` (the request is not pending). Out: the member as listed.
    """
    case, member = _for_applicant(case_id, member_id, principal)
    if member.status != "pending":
        raise Conflict("该家属没有待处理的加入申请", code="not_pending")
    member.status = "active"
    db.session.flush()
    user = db.session.get(FamilyUser, member.user_id)
    record_event(case, kind="member_joined", summary=f"申请人已同意{mask_name(user.name)}查看办理进度。",
                 actor=f"family:{principal.subject}")
    db.session.commit()
    return _listed(case, member, principal)


def refuse_member(*, case_id: str, member_id: int, principal: Principal) -> dict:
    """The applicant refuses a join request (pending → refused); the relative sees nothing.
    Raises as :func:`approve_member`."""
    case, member = _for_applicant(case_id, member_id, principal)
    if member.status != "pending":
        raise Conflict("该家属没有待处理的加入申请", code="not_pending")
    member.status = "refused"
    record_event(case, kind="join_refused", summary="申请人未同意一项加入申请。", actor=f"family:{principal.subject}",
                 notify=False)
    db.session.commit()
    return _listed(case, member, principal)


def remove_member(*, case_id: str, member_id: int, principal: Principal) -> None:
    """The applicant removes a member (or a pending request), or a member leaves. The removed
    person's tokens lose access to the case on their next request.

    Raises :class:`NotFound` as :func:`approve_member`, :class:`Forbidden` for anyone else and
    :class:`Conflict` for removing the applicant or an already removed member.
    """
    case = get_case(case_id=case_id, principal=principal)
    member = _member(case, member_id)
    leaving = principal.kind == "family" and member.user_id == principal.subject
    if not leaving and not _is_applicant(case, principal):
        raise Forbidden("只有申请人可以移除家属")
    if member.role == "applicant":
        raise Conflict("申请人不能被移除", code="applicant_cannot_leave")
    if member.status not in {"active", "pending"}:
        raise Conflict("该家属已不在此申请中", code="not_a_member")
    member.status = "removed"
    user = db.session.get(FamilyUser, member.user_id)
    summary = f"{mask_name(user.name)}已退出此申请。" if leaving else f"申请人已移除{mask_name(user.name)}。"
    record_event(case, kind="member_removed", summary=summary, actor=f"family:{principal.subject}", notify=False)
    db.session.commit()


def _listed(case: Case, member: CaseMember, principal: Principal) -> dict:
    return next(m for m in list_members(case_id=case.id, principal=principal) if m["id"] == member.id)
