"""Test helpers: a small HTTP client for the live stacks and fresh fictional forms."""
from __future__ import annotations

import json
import random
import time
import uuid
from datetime import date, timedelta

import requests

from tests.factories import person_id_number, worked_example_form

STAFF_PASSWORD = "sandbox-pass-2026"
FINAL = {"done", "not_applicable"}
HUKOU_MATERIALS = ["deceased_id_card_clipped_scan", "hukou_page_clipped_scan", "originals_handed_in"]


_USED_DECEASED: set[str] = set()


def fresh_worked_example(**overrides) -> dict:
    """SPEC §11 with a different fictional deceased each call (one open case per deceased).

    Born some day of 1948 after 30 January, so still 77 on 2026-01-30 as in the example; never
    the same ID number twice in one test run (a repeat would be refused as a duplicate case).
    """
    while True:
        birth = date(1948, 2, 1) + timedelta(days=random.randrange(330))
        deceased_id = person_id_number(birth, "1", division="430104", serial=f"{random.randrange(100):02d}")
        if deceased_id not in _USED_DECEASED:
            _USED_DECEASED.add(deceased_id)
            return worked_example_form(deceased__id_number=deceased_id, **overrides)


class ApiError(AssertionError):
    pass


class Api:
    """``requests`` against a live stack, with a bearer token once logged in."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url, self.token = base_url.rstrip("/"), token

    def request(self, method: str, path: str, *, expect: int | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)
        if expect is not None and response.status_code != expect:
            raise ApiError(f"{method} {path}: expected {expect}, got {response.status_code}: {response.text[:500]}")
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    # --- journeys ---------------------------------------------------------------------------
    def as_staff(self, username: str = "clerk.cs") -> "Api":
        body = self.post("/api/v1/auth/staff-login", json={"username": username, "password": STAFF_PASSWORD},
                         expect=200).json()
        return Api(self.base_url, body["access_token"])

    def as_family(self, *, name: str, id_number: str, phone: str) -> "Api":
        code = self.post("/sandbox/platform/login-codes", json={"name": name, "id_number": id_number, "phone": phone},
                         expect=201).json()["code"]
        body = self.post("/api/v1/auth/platform-login", json={"code": code}, expect=200).json()
        return Api(self.base_url, body["access_token"])

    def as_applicant(self, form: dict) -> "Api":
        a = form["applicant"]
        return self.as_family(name=a["name"], id_number=a["id_number"], phone=a["phone"])

    def wait_for_case(self, case_id: str, predicate, timeout: float = 60) -> dict:
        """Poll ``GET /cases/{id}`` until ``predicate(case)``; fail with the last state."""
        deadline = time.monotonic() + timeout
        case = None
        while time.monotonic() < deadline:
            case = self.get(f"/api/v1/cases/{case_id}", expect=200).json()
            if predicate(case):
                return case
            time.sleep(0.1)
        states = {m["code"]: (m["status"], m["dispatch_state"]) for m in (case or {}).get("matters", [])}
        raise AssertionError(f"case {case_id} did not reach the expected state in {timeout}s: "
                             f"{(case or {}).get('status')} {states}")


def all_final(case: dict) -> bool:
    return case["status"] == "completed" and all(m["status"] in FINAL for m in case["matters"])


def scenario(stack, department: str, behaviour: str, **fields) -> dict:
    """Make a sandbox department misbehave (see ``app.sandbox.models.SandboxScenario``)."""
    return Api(stack.base_url).post(f"/sandbox/departments/{department}/scenarios",
                                    json={"behaviour": behaviour, **fields}, expect=201).json()


def department_secret(stack, department: str) -> str:
    return json.loads(stack.env["DEPARTMENT_CALLBACK_SECRETS"])[department][0]


def send_callback(stack, department: str, report: dict, *, secret: str | None = None, timestamp: int | None = None,
                  delivery_id: str | None = None, body: bytes | None = None, drop: str | None = None):
    """POST a department callback signed like a department would (or broken on purpose)."""
    from app.departments.signing import signed_headers

    raw = json.dumps(report, ensure_ascii=False).encode()
    headers = signed_headers(secret or department_secret(stack, department), delivery_id or uuid.uuid4().hex,
                             int(time.time()) if timestamp is None else timestamp, raw)
    if drop:
        headers.pop(drop)
    return requests.post(f"{stack.base_url}/api/v1/departments/{department}/callbacks", data=body or raw,
                         headers=headers, timeout=30)


def matter(case: dict, code: str) -> dict:
    return next(m for m in case["matters"] if m["code"] == code)
