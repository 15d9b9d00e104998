"""The village or residents' committee starts the death certificate (湘民发〔2022〕57号 二(四)1).

For a normal death outside a medical institution (``place_of_death.kind`` ``home`` or
``other``) the ``death_certificate`` matter waits for ``village_committee_started`` (catalogue
``waits_for_when``). The committee of the county where the death happened starts it, either on
the family's existing case (by its reference) or by filing the application for the family at its
own window (through :func:`app.cases.service.create_case`, like a clerk). The matter then goes to
the health department addressed to the community health centre / 乡镇卫生院 of that county
(``issuer_kind``, ``county_code`` in the pushed data), which confirms with the family and issues
the certificate through its callback or the workbench; the case goes on from there.
"""
from __future__ import annotations

import copy

from app.cases.models import Case
from app.cases.service import create_case
from app.cases.timeline import record_event
from app.errors import Conflict, NotFound, RuleViolation
from app.extensions import db
from app.privacy.crypto import id_number_index
from app.identity.tokens import Principal
from app.matters.models import Matter
from app.matters.service import release_ready_matters

STARTED = "village_committee_started"
HOME_KINDS = ("home", "other")


def start_death_certificate(*, principal: Principal, form: dict | None = None,
                            case_reference: str | None = None) -> dict:
    """Start the death-certificate matter of a death at home (or elsewhere outside a hospital).

    In: the committee's ``principal`` (role ``village_committee``, county ``county_code``) and
    either a loaded application ``form`` (``schemas.form``; a case is created at the committee's
    window, or the deceased's open case is used) or the ``case_reference`` of the family's case.
    Out: ``{"case_id", "reference", "created": bool, "matter": Matter}``.
    Raises :class:`RuleViolation` for an abnormal death, a death in a medical institution, a
    place of death outside the committee's county or a case without that matter;
    :class:`NotFound` for an unknown or closed case reference.
    """
    if form is not None:
        _check_death(form, principal, prefix="form.")
        existing = _open_case(deceased_id_number=form["deceased"]["id_number"])
        if existing is None:
            form = copy.deepcopy(form)
            _fill_place(form, principal)
            if "death_certificate" not in form["requested_matters"]:
                form["requested_matters"] = ["death_certificate", *form["requested_matters"]]
            case = create_case(form=form, principal=principal)
            # Filed and committed: the dispatch jobs it queued may already be changing it. Read it
            # afresh under the case lock, as below, rather than from what the filing kept in memory.
            db.session.expire_all()
            db.session.refresh(case, with_for_update=True)
            return _start(case, principal, created=True)
        case = existing
        _check_death(case.form, principal, prefix="")
    else:
        case = _open_case(reference=case_reference)
        if case is None:
            raise NotFound("没有找到办理中的该编号申请", code="case_not_found")
        _check_death(case.form, principal, prefix="")
    db.session.refresh(case, with_for_update=True)
    if not case.form["deceased"]["place_of_death"].get("division_code"):
        form = copy.deepcopy(case.form)
        _fill_place(form, principal)
        case.form = form  # the committee attests where the death happened
    return _start(case, principal, created=False)


def _open_case(*, deceased_id_number: str | None = None, reference: str | None = None) -> Case | None:
    query = db.select(Case).filter(Case.status.in_(("accepted", "in_progress")))
    if reference is not None:
        query = query.filter(Case.reference == reference)
    else:
        query = query.filter(Case.deceased_id_index == id_number_index(deceased_id_number))
    return db.session.execute(query.limit(1)).scalars().first()


def _check_death(form: dict, principal: Principal, *, prefix: str) -> None:
    deceased = form["deceased"]
    place = deceased["place_of_death"]
    if deceased["death_cause_category"] != "normal":
        raise RuleViolation("非正常死亡不由村（居）委会发起", code="not_normal_death", errors={
            f"{prefix}deceased.death_cause_category": ["非正常死亡的，由公安机关评估后线下开具非正常死亡证明"]})
    if place["kind"] not in HOME_KINDS:
        raise RuleViolation("在医疗机构死亡的，由医疗机构开具死亡证明", code="died_in_medical_institution", errors={
            f"{prefix}deceased.place_of_death.kind": ["在医疗机构死亡的，由该医疗机构开具《居民死亡医学证明（推断）书》"]})
    county = place.get("division_code") or deceased["household_registration"]["division_code"]
    if county != principal.county_code:
        raise RuleViolation("身故所在地不在本村（居）委会所在县（区）", code="outside_county", errors={
            f"{prefix}deceased.place_of_death.division_code": ["请由身故所在地的村（居）委会发起"]})


def _fill_place(form: dict, principal: Principal) -> None:
    form["deceased"]["place_of_death"]["division_code"] = principal.county_code


def _start(case: Case, principal: Principal, *, created: bool) -> dict:
    matter = db.session.execute(db.select(Matter).filter_by(case_id=case.id, code="death_certificate")).scalar_one_or_none()
    if matter is None or STARTED not in (matter.requires or []):
        raise RuleViolation("该申请没有需要村（居）委会发起的死亡证明事项", code="no_home_death_certificate",
                            errors={"case_reference": ["只有在非医疗机构正常死亡的申请需要村（居）委会发起"]})
    actor = f"staff:{principal.subject}"
    if case.receive_material(STARTED, recorded_by=actor):
        record_event(case, kind="village_committee_started", actor=actor, matter_id=matter.id,
                     summary="村（居）委会已发起《居民死亡医学证明（推断）书》开具，"
                             "社区卫生服务机构或乡镇卫生院将与您联系确认。")
        release_ready_matters(case, actor=actor)
    elif not created:
        raise Conflict("村（居）委会已发起过该申请的死亡证明", code="already_started")
    db.session.commit()
    return {"case_id": case.id, "reference": case.reference, "created": created, "matter": matter}
