"""The role × endpoint matrix: no caller gets a 2xx from an endpoint outside its role and scope.

The callers stand in every relation to one case a clerk filed at 长沙市殡仪馆 for a deceased
with a 岳麓区 (430104) hukou: its window's clerk, another window's clerk, a village committee of
another window, a housing-fund officer of 长沙 (in scope) and an HRSS officer of 株洲 (out of
scope), the 长沙 supervisor, the admin, the applicant, an approved relative and a stranger. The
endpoints come from ``/openapi.json``: any endpoint on a case's objects must refuse the unrelated
callers even before someone writes its row below.
"""
from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.people import login, make_family, new_person
from tests.security.openapi import operations, request_kwargs

STAFF = {"clerk_own": "clerk.cs", "clerk_other": "clerk.yuelu", "village_other": "village.yuelu",
         "officer_in_scope": "officer.housing.cs", "officer_out_of_scope": "officer.hrss.zz",
         "supervisor": "supervisor.cs", "admin": "admin.hn"}
FAMILY = ("applicant", "member", "stranger")
UNRELATED = {"clerk_other", "village_other", "officer_out_of_scope", "stranger"}
OBJECT_PARAMS = {"case_id", "matter_id", "member_id", "message_id", "upload_id"}
CASE_READERS = {"clerk_own", "officer_in_scope", "supervisor", "admin", "applicant", "member"}

#: Who may succeed on each endpoint (everyone else must not get a 2xx).
ALLOWED = {
    "GET /api/v1/cases/{case_id}": CASE_READERS,
    "GET /api/v1/cases/{case_id}/timeline": CASE_READERS,
    "POST /api/v1/cases/{case_id}/materials": {"clerk_own"},
    "GET /api/v1/cases/{case_id}/qrcode": {"clerk_own", "admin", "applicant"},
    "POST /api/v1/cases/{case_id}/qrcode/reissue": {"clerk_own", "admin", "applicant"},
    "POST /api/v1/cases/{case_id}/qrcode/revoke": {"clerk_own", "admin", "applicant"},
    "POST /api/v1/cases/{case_id}/corrections": {"clerk_own", "applicant"},
    "POST /api/v1/cases/{case_id}/matters/{matter_id}/resubmit": {"clerk_own", "applicant"},
    "GET /api/v1/cases/{case_id}/members": {"clerk_own", "admin", "applicant", "member"},
    "POST /api/v1/cases/{case_id}/members/{member_id}/approve": {"applicant"},
    "POST /api/v1/cases/{case_id}/members/{member_id}/refuse": {"applicant"},
    "DELETE /api/v1/cases/{case_id}/members/{member_id}": {"applicant", "member"},
    "GET /api/v1/windows/{window_id}/qrcode": {"clerk_own"},
    "POST /api/v1/workbench/matters/{matter_id}/report": {"officer_in_scope"},
    "POST /api/v1/admin/matters/{matter_id}/redrive": {"admin"},
    "GET /api/v1/workbench/matters": {"officer_in_scope", "officer_out_of_scope"},
    "GET /api/v1/admin/dead-letters": {"admin", "supervisor"},
    "GET /api/v1/me/cases": set(FAMILY),
    "GET /api/v1/me/messages": set(FAMILY),
    "POST /api/v1/me/messages/{message_id}/read": {"applicant"},  # the message is in her inbox
    "POST /api/v1/scan": set(FAMILY),
    "POST /api/v1/scan/bind": set(FAMILY),
    "POST /api/v1/cases": {"clerk_own", "clerk_other", "village_other"},  # 村/居委会 file too (issue 8)
}
#: Not called here: they end the caller's own session or change the caller's own account.
SKIP = {"POST /api/v1/auth/logout", "POST /api/v1/auth/totp/enrolment", "POST /api/v1/auth/totp/enrolment/confirm"}
#: Reads that must answer 200 to the callers allowed (the matrix is not vacuous).
MUST_READ = ["GET /api/v1/cases/{case_id}", "GET /api/v1/cases/{case_id}/timeline", "GET /api/v1/cases/{case_id}/members",
             "GET /api/v1/cases/{case_id}/qrcode"]


@pytest.fixture(scope="module")
def world(embedded_stack):
    family = make_family(embedded_stack)
    callers = {role: Api(embedded_stack.base_url).as_staff(username) for role, username in STAFF.items()}
    callers.update(applicant=family.applicant_api, member=family.relative_api,
                   stranger=login(embedded_stack, new_person()))
    relative_member = next(m for m in family.applicant_api.get(f"/api/v1/cases/{family.case_id}/members",
                                                               expect=200).json() if m["role"] == "member")
    housing = next(m["id"] for m in family.case["matters"] if m["code"] == "housing_fund_withdrawal")
    values = {"case_id": family.case_id, "matter_id": housing, "member_id": relative_member["id"],
              "message_id": family.message_ids[0], "window_id": "cs-funeral-home", "department": "health",
              "code": "death_certificate", "idempotency_key": "x", "upload_id": family.upload_ids[0],
              "delivery_id": "1"}
    return family, callers, values


def test_no_role_escalates(embedded_stack, world):
    family, callers, values = world
    escalations, checked = [], 0
    for op in operations(embedded_stack.base_url):
        key = str(op)
        if op.path.startswith("/sandbox/") or key in SKIP or not op.secured:
            continue
        allowed = ALLOWED.get(key)
        on_objects = any(p in OBJECT_PARAMS for p in op.params)
        if allowed is None and not on_objects:
            continue  # not about anyone's case: nothing to escalate to here
        refused = (set(callers) - allowed) if allowed is not None else UNRELATED
        for role in sorted(refused):
            checked += 1
            response = callers[role].request(op.method, op.url(values), **request_kwargs(key))
            if 200 <= response.status_code < 300:
                escalations.append(f"{role} {key}: {response.status_code} {response.text[:160]}")
            elif on_objects and role in UNRELATED and response.status_code not in {403, 404}:
                escalations.append(f"{role} {key}: {response.status_code} (expected 403/404) {response.text[:160]}")
    assert checked > 100
    assert escalations == []


def test_allowed_callers_do_read(embedded_stack, world):
    family, callers, values = world
    by_key = {str(op): op for op in operations(embedded_stack.base_url)}
    for key in MUST_READ:
        op = by_key[key]
        for role in sorted(ALLOWED[key]):
            path = op.url(values) + ("?format=json" if key.endswith("qrcode") else "")
            assert callers[role].get(path).status_code == 200, (role, key)


def test_unrelated_staff_get_the_same_404_as_for_an_unknown_case(embedded_stack, world):
    family, callers, _ = world
    for role in ("clerk_other", "village_other", "officer_out_of_scope"):
        foreign = callers[role].get(f"/api/v1/cases/{family.case_id}")
        unknown = callers[role].get("/api/v1/cases/0123456789abcdef0123456789abcdef")
        assert (foreign.status_code, foreign.json()) == (unknown.status_code, unknown.json()) == (
            404, {"code": "not_found", "message": "没有找到该申请", "errors": {}})
