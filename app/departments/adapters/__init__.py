"""One adapter per department kind (SPEC §7); each sends only what its department needs."""
from __future__ import annotations

from flask import current_app

from app.departments.adapters.base import DepartmentAdapter, DepartmentError, Submission


def _pick(source: dict, *keys: str) -> dict:
    return {k: source.get(k) for k in keys if source.get(k) is not None}


def _deceased(form: dict, *keys: str) -> dict:
    return _pick(form["deceased"], "name", "id_number", "died_at", *keys)


def _applicant(form: dict) -> dict:
    return _pick(form["applicant"], "name", "id_number", "phone", "relationship", "relationship_basis")


class HealthAdapter(DepartmentAdapter):
    """卫健: the hospital, or the community health centre / 乡镇卫生院 for a home death."""

    department = "health"

    def data_for(self, form):
        return {"deceased": _deceased(form, "gender", "age", "death_cause_category", "death_cause", "place_of_death"),
                "applicant": _pick(form["applicant"], "name", "phone"),
                **health_issuer(form)}


def health_issuer(form: dict) -> dict:
    """Who issues the death certificate (湘民发〔2022〕57号 二(四)1): the medical institution
    where the person died, or — for a death at home or elsewhere, started by the village
    committee — the community health centre / 乡镇卫生院 of the county of the place of death.
    Out: ``{"issuer_kind": "medical_institution" | "community_health_centre", "county_code"}``."""
    place = form["deceased"]["place_of_death"]
    county = place.get("division_code") or form["deceased"]["household_registration"]["division_code"]
    kind = "medical_institution" if place["kind"] == "medical_institution" else "community_health_centre"
    return {"issuer_kind": kind, "county_code": county}


class PoliceHouseholdAdapter(DepartmentAdapter):
    """公安人口管理: hukou cancellation (and the offline abnormal-death certificate)."""

    department = "police_household"

    def data_for(self, form):
        return {"deceased": _deceased(form, "gender", "household_registration"), "applicant": _applicant(form)}


class PoliceTrafficAdapter(DepartmentAdapter):
    department = "police_traffic"

    def data_for(self, form):
        return {"deceased": _deceased(form)}


class FuneralHomeAdapter(DepartmentAdapter):
    """殡仪馆: needs the family's contact to book the cremation on the day of acceptance."""

    department = "funeral_home"

    def data_for(self, form):
        return {"deceased": _deceased(form, "gender", "age", "ethnicity"), "applicant": _pick(form["applicant"], "name", "phone")}


class CivilAffairsAdapter(DepartmentAdapter):
    department = "civil_affairs"

    def data_for(self, form):
        return {"deceased": _deceased(form, "household_registration"),
                "welfare": form.get("circumstances", {}).get("welfare", [])}


class MedicalSecurityAdapter(DepartmentAdapter):
    department = "medical_security"

    def data_for(self, form):
        return {"deceased": _deceased(form, "bank_account", "social_security_card"),
                "medical_insurance": form.get("circumstances", {}).get("medical_insurance")}


class HrssAdapter(DepartmentAdapter):
    department = "hrss"

    def data_for(self, form):
        circumstances = form.get("circumstances", {})
        return {"deceased": _deceased(form, "bank_account", "social_security_card"),
                "applicant": _applicant(form),
                "circumstances": _pick(circumstances, "is_enterprise_employee", "employment_status",
                                       "pension_insurance", "other_insurance")}


class HousingFundAdapter(DepartmentAdapter):
    department = "housing_fund"

    def data_for(self, form):
        return {"deceased": _deceased(form, "bank_account"), "applicant": _applicant(form)}


ADAPTERS: dict[str, type[DepartmentAdapter]] = {
    cls.department: cls
    for cls in (HealthAdapter, PoliceHouseholdAdapter, PoliceTrafficAdapter, FuneralHomeAdapter,
                CivilAffairsAdapter, MedicalSecurityAdapter, HrssAdapter, HousingFundAdapter)
}


def adapter_for(department: str) -> DepartmentAdapter:
    """The configured adapter of ``department`` (base URL, first callback secret, timeout)."""
    cfg = current_app.config
    endpoint = cfg["DEPARTMENT_ENDPOINTS"].get(department, {})
    return ADAPTERS[department](
        base_url=endpoint.get("base_url", cfg["DEPARTMENT_BASE_URL"]),
        secret=cfg["DEPARTMENT_CALLBACK_SECRETS"][department][0],
        timeout=float(endpoint.get("timeout", cfg["DEPARTMENT_TIMEOUT_SECONDS"])),
    )


__all__ = ["ADAPTERS", "DepartmentAdapter", "DepartmentError", "Submission", "adapter_for"]
