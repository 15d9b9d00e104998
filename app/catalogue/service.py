"""The matter catalogue (事项目录, SPEC §3) and what applies to a form.

The catalogue is the JSON file at ``CATALOGUE_PATH``; it is re-read when the file changes, so
adding a matter or changing a deadline needs no release (湘民发〔2022〕57号 一(二)
“成熟一个、合并一个”).
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from app.calendar.deadlines import compute_due, describe_rule
from app.calendar.service import get_calendar
from app.errors import NotFound

_lock = threading.Lock()
#: path -> (mtime, parsed file, {code: entry with names added}, monotonic time of the last stat)
_cache: dict[str, tuple[float, dict, dict, float]] = {}
#: A change to the file is noticed within this many seconds (one ``stat`` a second, not one a
#: lookup: a case answer looks up each of its matters several times).
RECHECK_SECONDS = 1.0


def _entry(path: str | None) -> tuple[float, dict, dict, float]:
    path = path or current_app.config["CATALOGUE_PATH"]
    cached = _cache.get(path)
    now = time.monotonic()
    if cached and now - cached[3] < RECHECK_SECONDS:
        return cached
    mtime = os.stat(path).st_mtime
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            cached = _cache[path] = (mtime, cached[1], cached[2], now)
            return cached
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        described = {entry["code"]: _describe(entry, data) for entry in data["matters"]}
        cached = _cache[path] = (mtime, data, described, now)
        return cached


def catalogue_stamp() -> float:
    """The modification time of the catalogue in use (changes when the file is replaced), so an
    answer built from an older catalogue is not served (``app.cases.answer_cache``)."""
    return _entry(None)[0]


def load_catalogue(path: str | None = None) -> dict:
    """The parsed catalogue file: ``{"matters": [...], "departments": {...}, ...}`` (re-read
    within :data:`RECHECK_SECONDS` of a change). Callers must not modify it."""
    return _entry(path)[1]


def list_matters() -> list[dict]:
    """Every catalogue entry in catalogue order, each with its department's Chinese name added."""
    return [dict(entry) for entry in _entry(None)[2].values()]


def get_matter(code: str) -> dict:
    """The entry for ``code`` with ``department_name``, ``waits_for_names``, ``material_names``
    and ``deadline_text`` added (a copy: the caller may change it). Raises :class:`NotFound`
    for an unknown code."""
    entry = _entry(None)[2].get(code)
    if entry is None:
        raise NotFound(f"事项目录中没有 {code}")
    return dict(entry)


def matter_codes() -> list[str]:
    return [entry["code"] for entry in load_catalogue()["matters"]]


def department_name(department: str) -> str:
    return load_catalogue()["departments"].get(department, department)


def prerequisite_name(code: str) -> str:
    data = load_catalogue()
    return data["prerequisites"].get(code) or data["materials"].get(code, code)


def _describe(entry: dict, data: dict) -> dict:
    out = dict(entry)
    out["department_name"] = data["departments"].get(entry["department"], entry["department"])
    out["waits_for_names"] = [data["prerequisites"].get(p, p) for p in entry.get("waits_for", [])]
    out["material_names"] = [data["materials"].get(m, m) for m in entry.get("materials", [])]
    out["deadline_text"] = describe_rule(entry["deadline"])
    return out


def deadline_for(*, code: str, started_at: datetime) -> dict:
    """The due time of matter ``code`` for a clock started at ``started_at`` (aware, any offset).

    The clock is the matter's legal event: for most matters when the department has what the
    matter waits for, for the cremation certificate the end of the cremation, for the welfare
    terminations the death (湘民发〔2022〕57号 二(四); counting per 民法典 第201、203条).
    Out: ``{"code", "state", "due_at", "effective_date", "rule_text"}`` — ``state``
    ``scheduled`` | ``pending_calendar`` (the working-day calendar lacks a year the count needs;
    no due time yet) | ``no_fixed_deadline``; ``due_at`` aware in Asia/Shanghai or ``None``;
    ``effective_date`` only for the welfare terminations (the first day without the benefit),
    as on the case's matters. Raises :class:`NotFound` for an unknown code.
    """
    entry = get_matter(code)
    due = compute_due(entry["deadline"], started_at, get_calendar(current_app.config["CALENDAR_OVERRIDES_PATH"]))
    effective = due.effective_date if entry["deadline"].get("kind") == "next_month_start" else None
    return {"code": code, "state": due.state, "due_at": due.due_at, "effective_date": effective,
            "rule_text": due.rule_text}


# --- eligibility -------------------------------------------------------------------------------

@dataclass
class MatterEligibility:
    """One catalogue matter judged against one form.

    ``status``: ``applies`` (the family may request it), ``automatic`` (done without asking:
    the welfare terminations) or ``not_applicable`` (``reason`` says why, in Chinese).
    ``requested``: the form asks for it. ``will_create``: a case from this form gets this matter.
    """

    code: str
    name: str
    department: str
    department_name: str
    status: str
    requested: bool
    will_create: bool
    reason: str | None = None
    waits_for: list[dict] = field(default_factory=list)
    notes: str | None = None


@dataclass
class Eligibility:
    matters: list[MatterEligibility]
    #: ``{code: reason}`` for requested matters that cannot apply — a case is refused with these.
    blocked: dict[str, str]

    @property
    def will_create(self) -> list[MatterEligibility]:
        return [m for m in self.matters if m.will_create]


def evaluate(form: dict) -> Eligibility:
    """Judge every catalogue matter against a loaded application form (``schemas.form``).

    In: the form as ``ApplicationFormSchema().load`` returns it (``requested_matters`` may be
    missing for a preview). Out: :class:`Eligibility`. Rules come from the catalogue data's
    ``applies_when`` (SPEC §3 and 附件2 注1–3).
    """
    data = load_catalogue()
    requested = set(form.get("requested_matters") or [])
    result, blocked = [], {}
    for entry in data["matters"]:
        ok, reason = _check(entry.get("applies_when") or {"all": []}, form)
        automatic = entry["mode"] == "automatic"
        is_requested = entry["code"] in requested
        status = ("automatic" if automatic else "applies") if ok else "not_applicable"
        if is_requested and not ok:
            blocked[entry["code"]] = reason
        if is_requested and automatic and ok:
            is_requested = False  # automatic matters are done whether asked or not
        result.append(
            MatterEligibility(
                code=entry["code"],
                name=entry["name"],
                department=entry["department"],
                department_name=data["departments"].get(entry["department"], entry["department"]),
                status=status,
                requested=entry["code"] in requested,
                will_create=ok and (automatic or is_requested),
                reason=None if ok else reason,
                waits_for=[{"code": p, "name": data["prerequisites"].get(p, p)} for p in waits_for(entry, form)],
                notes=entry.get("notes"),
            )
        )
    return Eligibility(matters=result, blocked=blocked)


def waits_for(entry: dict, form: dict) -> list[str]:
    """Prerequisite codes a matter of catalogue ``entry`` waits for in a case of ``form``: its
    ``waits_for`` plus those of each ``waits_for_when`` whose ``when`` rule (as ``applies_when``)
    holds — e.g. the death certificate of a death at home waits for the village committee to
    start it (湘民发〔2022〕57号 二(四)1)."""
    codes = list(entry.get("waits_for", []))
    for extra in entry.get("waits_for_when", []):
        if _check(extra["when"], form)[0]:
            codes += [code for code in extra["waits_for"] if code not in codes]
    return codes


def _value(form: dict, path: str) -> Any:
    current: Any = form
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _check(rule: dict, form: dict) -> tuple[bool, str | None]:
    """Evaluate one ``applies_when`` node; the first failing leaf gives the reason."""
    if "all" in rule:
        for child in rule["all"]:
            ok, reason = _check(child, form)
            if not ok:
                return False, reason
        return True, None
    if "any" in rule:
        reasons = []
        for child in rule["any"]:
            ok, reason = _check(child, form)
            if ok:
                return True, None
            reasons.append(reason)
        return False, rule.get("reason") or "；".join(r for r in reasons if r)
    value = _value(form, rule["field"])
    if "equals" in rule:
        ok = value == rule["equals"]
    elif "in" in rule:
        ok = value in rule["in"]
    elif "not_in" in rule:
        ok = value not in rule["not_in"]
    elif "contains_any" in rule:
        ok = bool(set(value or []) & set(rule["contains_any"]))
    elif "is" in rule:
        ok = value is rule["is"]
    else:
        raise KeyError(f"catalogue rule without an operator: {rule}")
    return ok, None if ok else rule.get("reason", "不符合办理条件")
