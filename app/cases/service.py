"""Cases: create from the form (window or phone), accept, record materials, read with access checks.

Lifecycle (SPEC §5): draft → submitted → accepted (受理) → in_progress (联办中) → completed (办结),
or withdrawn. A clerk's case is accepted at once; a family's case is submitted and accepted by a
background job once the checks pass, then proceeds exactly like a clerk's.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from app.cases.models import Case, CaseMember, Event
from app.cases.timeline import record_event
from app.catalogue.service import evaluate, get_matter, load_catalogue, waits_for
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, ServiceUnavailable
from app.extensions import commit_keeping_state, db
from app.privacy import audit
from app.privacy.crypto import id_number_index
from app.identity.models import FamilyUser, Window, new_id
from app.identity.scope import in_area
from app.identity.tokens import Principal
from app.matters.models import Matter
from app.materials.checklist import note_acceptance_with_missing, settle_supplement_requests
from app.matters.service import release_ready_matters
from app.qr import service as qr
from app.tasks import enqueue_after_commit

ACCEPT_JOB = "jobs.cases.accept_case"
#: Materials a clerk or the family can record (prerequisite codes of the catalogue, and the
#: materials of 二(二) a window sees: the signed paper form, the applicant's ID, the social security card).
MATERIAL_KINDS = ("death_certificate", "deceased_id_card_clipped_scan", "hukou_page_clipped_scan", "originals_handed_in",
                  "application_form", "applicant_id_card", "social_security_card")
#: Staff who file a case for a family: window clerks, and village committees for a death at home.
FILING_ROLES = ("clerk", "village_committee")
#: Staff who see every case; supervisors see their county's (``_in_staff_area``).
STAFF_ALL_CASES = frozenset({"admin"})


def _random_reference() -> str:
    return "SH" + clock.shanghai(clock.now()).strftime("%Y%m%d") + f"{secrets.randbelow(10**6):06d}"


def _new_reference() -> str:
    """A human case number not yet used: SH + Asia/Shanghai date + 6 random digits.

    With 10⁶ numbers a day, two of a day's ~1,000 cases share a random number about four days
    in ten (the birthday bound); the unique index would then refuse the second filing, which
    read as "already filed". So a number already taken is drawn again (two filings drawing the
    same free number at the same instant remain, at about one in a million)."""
    for _ in range(20):
        reference = _random_reference()
        if db.session.execute(db.select(Case.id).filter_by(reference=reference)).first() is None:
            return reference
    raise ServiceUnavailable("申请编号暂时无法分配，请稍后再试")


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def create_case(
    *, form: dict, principal: Principal, materials_received: list[str] | None = None, intake_token: str | None = None
) -> Case:
    """Create a case from a loaded application form (``schemas.form``).

    Clerk (staff role ``clerk``): accepted at once, QR issued, matters released.
    Family: the applicant must be the logged-in person (ID number match); the case is
    ``submitted`` and a job accepts it. ``intake_token`` (a window's intake QR, SPEC §6) links
    a family's case to that window; ``materials_received`` counts for clerks only. Raises :class:`RuleViolation` when a requested matter
    cannot apply (reasons per matter, SPEC §3 / 附件2 注1–3), :class:`Conflict` when the deceased
    already has an open case, :class:`Forbidden` for other callers.
    """
    eligibility = evaluate(form)
    if eligibility.blocked:
        raise RuleViolation(
            "所申请的部分事项不符合办理条件",
            errors={"requested_matters": [f"{get_matter(c)['name']}：{r}" for c, r in eligibility.blocked.items()]},
            code="matter_not_applicable",
        )
    if not eligibility.will_create:
        raise RuleViolation("请至少选择一项要办理的事项", errors={"requested_matters": ["请至少选择一项要办理的事项"]})
    deceased_id = form["deceased"]["id_number"]
    family = None
    if principal.kind == "staff":
        if principal.role not in FILING_ROLES:
            raise Forbidden("只有受理窗口工作人员可以代为填报")
    else:
        family = db.session.get(FamilyUser, principal.subject)
        if family is None or family.id_number != form["applicant"]["id_number"]:
            raise RuleViolation(
                "申请人须为登录本人",
                errors={"applicant.id_number": ["申请人身份证号码与登录人不一致，请由申请人本人登录后提交"]},
                code="applicant_mismatch",
            )
    # Only after the caller is known: the answer must not confirm a death to a stranger.
    if _open_case_for(deceased_id) is not None:
        raise _duplicate()
    window_id = None if family else principal.window_id
    if family:
        materials_received = []
        if intake_token:
            window_id = qr.window_of_intake_token(intake_token)
    now = clock.now()
    case = Case(
        id=new_id(),  # known before the flush: the matters, events and jobs below name it
        reference=_new_reference(),
        status="submitted",
        channel="app" if family else "window",
        window_id=window_id,
        created_by_staff_id=None if family else int(principal.subject),
        applicant_user_id=family.id if family else None,
        applicant_id_index=id_number_index(form["applicant"]["id_number"]),
        deceased_name=form["deceased"]["name"],
        deceased_id_index=id_number_index(deceased_id),
        household_division_code=form["deceased"]["household_registration"]["division_code"],
        died_at=form["deceased"]["died_at"],
        form=_jsonable(form),
        submitted_at=now,
    )
    db.session.add(case)
    try:
        db.session.flush()  # the partial unique index decides a race between two requests
    except IntegrityError:
        db.session.rollback()
        raise _duplicate() from None
    # Everything below stays in the session until the commit, which writes it in one flush
    # (the case's matters, materials and events each as one multi-row INSERT): nothing in between
    # queries the database for what this filing has just made.
    catalogue = {entry["code"]: entry for entry in load_catalogue()["matters"]}
    for collection in ("matters", "materials"):  # just inserted: it has none yet, no need to ask
        set_committed_value(case, collection, [])
    case.matters.extend(
        Matter(  # its id is set now (DefaultsOnInit): dispatch jobs are queued by id before the flush
            code=item.code,
            position=position,
            department=entry["department"],
            automatic=entry["mode"] == "automatic",
            status="waiting",
            requires=waits_for(entry, form),
            waiting_for=waits_for(entry, form),
            deadline_spec=dict(entry.get("deadline", {})),
            offline=bool(entry.get("offline")),
        )
        for position, item in enumerate(eligibility.will_create)
        for entry in (catalogue[item.code],)
    )
    actor = f"family:{family.id}" if family else f"staff:{principal.subject}"
    for kind in dict.fromkeys(materials_received or []):  # each once, in the order given
        _add_material(case, kind, actor)
    if family:
        db.session.add(CaseMember(case_id=case.id, user_id=family.id, role="applicant", status="active"))
        db.session.flush()
        record_event(case, kind="case_submitted", summary="您的申请已提交，正在审核。", actor=actor)
        enqueue_after_commit(ACCEPT_JOB, case.id)
    else:
        # Filed at the window: no family member is bound yet (they bind by scanning the QR
        # code), so there is nobody to tell; the timeline keeps the events for when they do.
        record_event(case, kind="case_submitted", summary="窗口已收到申请。", actor=actor, notify=False)
        _accept(case, actor=actor, new=True)
        audit.record_request(principal, case_id=case.id)  # in the filing's own transaction
    try:
        commit_keeping_state()  # the answer is this case as just written: no need to read it back
    except IntegrityError:  # the same deceased raced in through another request
        db.session.rollback()
        raise _duplicate() from None
    return case


def _duplicate() -> Conflict:
    return Conflict("逝者已有办理中的申请，请勿重复提交；如需查询进度，请扫描申请二维码或联系受理窗口",
                    code="duplicate_case")


def _open_case_for(deceased_id_number: str) -> Case | None:
    # Same deceased, still open: a second case would pay or cancel twice.
    query = db.select(Case).filter(Case.deceased_id_index == id_number_index(deceased_id_number),
                                   Case.status != "withdrawn")
    return db.session.execute(query.limit(1)).scalars().first()


def _accept(case: Case, *, actor: str, new: bool = False) -> None:
    """Accept ``case`` in the caller's transaction. ``new``: filed in this transaction at a
    window, so its matters and materials are the session's own, it has no earlier QR token and
    no family member to tell yet."""
    if not new:
        db.session.refresh(case, ["matters"])
    case.status, case.accepted_at = "accepted", clock.now()
    qr.issue_case_token(case, first=new)
    record_event(case, kind="case_accepted",
                 summary=f"申请已受理（编号 {case.reference}），相关部门将联合办理。", actor=actor, notify=not new)
    release_ready_matters(case, actor=actor)
    note_acceptance_with_missing(case, actor=actor, notify=not new)  # 容缺受理: accepted, and what is still missing


def accept_case(*, case_id: str) -> Case:
    """Accept a submitted case (job). Idempotent: an already accepted case is left alone."""
    case = db.session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound()
    if case.status == "submitted":
        _accept(case, actor="system")
        db.session.commit()
    return case


def window_intake_token(*, window_id: str, principal: Principal):
    """The static intake QR token of the clerk's own window. Raises :class:`NotFound` otherwise."""
    if principal.kind != "staff" or principal.window_id != window_id:
        raise NotFound("没有找到该窗口")
    return qr.window_token(window_id)


def _add_material(case: Case, kind: str, actor: str) -> bool:
    """Record material ``kind`` as received (in the caller's transaction); out: whether it was new.
    Raises :class:`RuleViolation` for an unknown kind."""
    if kind not in MATERIAL_KINDS:
        raise RuleViolation("不认识的材料类型", errors={"kind": [f"取值应为 {', '.join(MATERIAL_KINDS)} 之一"]})
    return case.receive_material(kind, recorded_by=actor)


def record_material(*, case_id: str, kind: str, principal: Principal) -> Case:
    """A clerk records a material received (e.g. originals handed in, 附件2 注4); waiting
    matters that now lack nothing are released. Raises :class:`Forbidden` outside the clerk's window."""
    case = get_case(case_id=case_id, principal=principal)
    if principal.kind != "staff" or principal.role != "clerk":
        raise Forbidden("只有受理窗口工作人员可以登记材料")
    # One change to the case's materials at a time (as app.materials.service does): a clerk
    # recording the same material again meanwhile then reads it as received, not a 500.
    db.session.refresh(case, with_for_update=True)
    if _add_material(case, kind, f"staff:{principal.subject}"):
        record_event(case, kind="material_recorded", summary=f"窗口已登记材料：{_material_name(kind)}",
                     actor=f"staff:{principal.subject}")
        release_ready_matters(case)
        settle_supplement_requests(case, actor=f"staff:{principal.subject}")
    db.session.commit()
    return case


def _material_name(kind: str) -> str:
    data = load_catalogue()
    return data["prerequisites"].get(kind) or data["materials"].get(kind, kind)


def can_read(case: Case, principal: Principal) -> bool:
    """SPEC §9: family only if bound (active); staff only within their window/department/county."""
    if principal.kind == "family":
        member = db.session.execute(
            db.select(CaseMember).filter_by(case_id=case.id, user_id=principal.subject, status="active")
        ).scalar_one_or_none()
        return member is not None
    if principal.role in STAFF_ALL_CASES:
        return True
    if principal.role in {"clerk", "village_committee"}:
        return case.window_id is not None and case.window_id == principal.window_id
    if principal.role == "department_officer":
        return any(m.department == principal.department for m in case.matters) and _in_staff_area(case, principal)
    if principal.role == "supervisor":
        return _in_staff_area(case, principal)
    return False


def _in_staff_area(case: Case, principal: Principal) -> bool:
    # The deceased's household registration decides which county's departments act; the
    # window's division covers the county's own windows (GB/T 2260 codes).
    hukou = ((case.form or {}).get("deceased") or {}).get("household_registration") or {}
    window = db.session.get(Window, case.window_id) if case.window_id else None
    return in_area(principal.county_code, hukou.get("division_code"), window.division_code if window else None)


def get_case(*, case_id: str, principal: Principal, with_matters: bool = False) -> Case:
    """The case if ``principal`` may see it (:func:`can_read`); ``with_matters`` loads its
    matters in the same query. Raises :class:`NotFound` otherwise (existence is not revealed to
    callers without access).

    A family member's membership is checked inside the case's own query (one round trip, the
    hottest read: the family's app polls its case)."""
    query = db.select(Case).where(Case.id == case_id)
    if with_matters:
        query = query.options(joinedload(Case.matters))
    if principal.kind == "family":
        query = query.where(sa.exists().where(CaseMember.case_id == Case.id, CaseMember.user_id == principal.subject,
                                              CaseMember.status == "active"))
    case = db.session.execute(query).unique().scalar_one_or_none()
    if case is None or (principal.kind != "family" and not can_read(case, principal)):
        raise NotFound("没有找到该申请")
    return case


def timeline(*, case_id: str, principal: Principal) -> list[Event]:
    """The case's events, oldest first."""
    case = get_case(case_id=case_id, principal=principal)
    return list(db.session.execute(db.select(Event).filter_by(case_id=case.id).order_by(Event.id)).scalars())


def cases_of_user(*, user_id: str) -> list[Case]:
    """Cases the family member is actively bound to, newest first."""
    query = (
        db.select(Case)
        .join(CaseMember, CaseMember.case_id == Case.id)
        .filter(CaseMember.user_id == user_id, CaseMember.status == "active")
        .order_by(Case.created_at.desc())
    )
    return list(db.session.execute(query).scalars())


def claim_for_window(*, window_id: str, token: str, principal: Principal) -> Case:
    """A clerk scans the case QR the family shows at the counter: a case filed on the phone
    without a window is linked to this window, so the clerk can take the originals (附件2 注4)
    and help. Raises :class:`NotFound` outside the clerk's window or for a bad token,
    :class:`Conflict` when another window already handles the case."""
    if principal.kind != "staff" or principal.role != "clerk" or principal.window_id != window_id:
        raise NotFound("没有找到该窗口")
    case = qr.case_of_token(token)
    if case.window_id and case.window_id != window_id:
        raise Conflict("该申请已由其他窗口办理，请联系该窗口", code="other_window")
    if case.window_id is None:
        case.window_id = window_id
        record_event(case, kind="window_linked", actor=f"staff:{principal.subject}",
                     summary="申请已关联到受理窗口，窗口工作人员可以为您登记交回的原件。")
        db.session.commit()
    return case
