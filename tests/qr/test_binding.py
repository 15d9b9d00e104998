"""Binding (SPEC §6): the applicant by ID match; a relative asks, the applicant approves or
refuses; a removed member loses access at once; a photographed code gives a stranger nothing."""
from __future__ import annotations

import json

from tests.helpers import Api
from tests.people import file_case, login, make_family, new_person, qr_token

PREVIEW_KEYS = {"kind", "window_name", "deceased_masked_name"}


def _case_paths(case_id: str) -> list[str]:
    return [f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/timeline", f"/api/v1/cases/{case_id}/members",
            f"/api/v1/cases/{case_id}/qrcode?format=json"]


def _sees_nothing(api: Api, case_id: str) -> None:
    for path in _case_paths(case_id):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "message": "没有找到该申请", "errors": {}}
    assert case_id not in api.get("/api/v1/me/cases", expect=200).text
    assert case_id not in api.get("/api/v1/me/messages", expect=200).text


def test_the_applicant_binds_by_id_number_match(embedded_stack):
    applicant = new_person()
    clerk, case, _ = file_case(embedded_stack, applicant)
    api = login(embedded_stack, applicant)
    bound = api.post("/api/v1/scan/bind", json={"token": qr_token(clerk, case["id"])}, expect=200).json()
    assert bound == {"case_id": case["id"], "membership": "applicant"}
    api.get(f"/api/v1/cases/{case['id']}", expect=200)
    members = api.get(f"/api/v1/cases/{case['id']}/members", expect=200).json()
    assert [(m["role"], m["status"], m["is_me"]) for m in members] == [("applicant", "active", True)]


def test_a_photographed_code_in_a_strangers_hands_reveals_nothing_and_cannot_bind(embedded_stack):
    applicant = new_person()
    clerk, case, form = file_case(embedded_stack, applicant)
    token = qr_token(clerk, case["id"])
    stranger = login(embedded_stack, new_person())

    preview = stranger.post("/api/v1/scan", json={"token": token}, expect=200)
    body = preview.json()
    assert set(body) == PREVIEW_KEYS
    assert body["deceased_masked_name"] == form["deceased"]["name"][0] + "*" * (len(form["deceased"]["name"]) - 1)
    private = [form["deceased"]["name"], form["deceased"]["id_number"], form["applicant"]["name"],
               form["applicant"]["id_number"], form["applicant"]["phone"], case["reference"], case["id"],
               form["deceased"]["bank_account"]["account_number"]]
    assert not any(value in preview.text for value in private)

    bound = stranger.post("/api/v1/scan/bind", json={"token": token}, expect=200).json()
    assert bound["membership"] == "pending"
    _sees_nothing(stranger, case["id"])
    # Asking again changes nothing.
    assert stranger.post("/api/v1/scan/bind", json={"token": token}, expect=200).json()["membership"] == "pending"
    _sees_nothing(stranger, case["id"])

    # The applicant sees the request (with the asker's real name) and refuses it.
    owner = login(embedded_stack, applicant)
    owner.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    pending = [m for m in owner.get(f"/api/v1/cases/{case['id']}/members", expect=200).json() if m["status"] == "pending"]
    assert len(pending) == 1 and "****" in pending[0]["phone"]
    refused = owner.post(f"/api/v1/cases/{case['id']}/members/{pending[0]['id']}/refuse", expect=200).json()
    assert refused["status"] == "refused"
    _sees_nothing(stranger, case["id"])
    assert owner.post(f"/api/v1/cases/{case['id']}/members/{pending[0]['id']}/approve").status_code == 409


def test_approval_lets_the_relative_follow_the_case_and_be_told(embedded_stack):
    family = make_family(embedded_stack)
    relative = family.relative_api
    case = relative.get(f"/api/v1/cases/{family.case_id}", expect=200).json()
    assert case["id"] == family.case_id
    assert family.case_id in relative.get("/api/v1/me/cases", expect=200).text
    inbox = relative.get("/api/v1/me/messages", expect=200).json()
    assert any(m["case_id"] == family.case_id for m in inbox)
    # The relative sees members with masked names only, and no pending requests.
    members = relative.get(f"/api/v1/cases/{family.case_id}/members", expect=200).json()
    applicant = next(m for m in members if m["role"] == "applicant")
    assert applicant["name"] == family.applicant["name"][0] + "*" * (len(family.applicant["name"]) - 1)
    assert applicant["phone"] is None
    assert family.applicant["id_number"] not in json.dumps(members, ensure_ascii=False)


def test_only_the_applicant_decides_and_the_applicant_cannot_be_removed(embedded_stack):
    family = make_family(embedded_stack)
    newcomer = login(embedded_stack, new_person())
    newcomer.post("/api/v1/scan/bind", json={"token": family.token}, expect=200)
    members = family.applicant_api.get(f"/api/v1/cases/{family.case_id}/members", expect=200).json()
    pending = next(m for m in members if m["status"] == "pending")
    applicant = next(m for m in members if m["role"] == "applicant")
    base = f"/api/v1/cases/{family.case_id}/members"
    assert family.relative_api.post(f"{base}/{pending['id']}/approve").status_code == 403
    assert family.relative_api.request("DELETE", f"{base}/{applicant['id']}").status_code == 403
    assert family.clerk_api.post(f"{base}/{pending['id']}/approve").status_code == 403
    assert newcomer.post(f"{base}/{pending['id']}/approve").status_code == 404
    assert family.applicant_api.request("DELETE", f"{base}/{applicant['id']}").status_code == 409
    # A pending request can be withdrawn by the applicant too.
    family.applicant_api.request("DELETE", f"{base}/{pending['id']}", expect=204)
    _sees_nothing(newcomer, family.case_id)


def test_a_removed_member_loses_access_at_once_with_the_same_token(embedded_stack):
    family = make_family(embedded_stack)
    relative_member = next(m for m in family.applicant_api.get(f"/api/v1/cases/{family.case_id}/members",
                                                                expect=200).json() if m["role"] == "member")
    family.relative_api.get(f"/api/v1/cases/{family.case_id}", expect=200)
    family.applicant_api.request("DELETE", f"/api/v1/cases/{family.case_id}/members/{relative_member['id']}", expect=204)
    _sees_nothing(family.relative_api, family.case_id)
    assert family.relative_api.post(f"/api/v1/me/messages/{family.message_ids[-1]}/read").status_code in {404}
    # Scanning again only asks again.
    again = family.relative_api.post("/api/v1/scan/bind", json={"token": family.token}, expect=200).json()
    assert again["membership"] == "pending"
    _sees_nothing(family.relative_api, family.case_id)


def test_a_member_may_leave(embedded_stack):
    family = make_family(embedded_stack)
    me = next(m for m in family.relative_api.get(f"/api/v1/cases/{family.case_id}/members", expect=200).json()
              if m["is_me"])
    family.relative_api.request("DELETE", f"/api/v1/cases/{family.case_id}/members/{me['id']}", expect=204)
    _sees_nothing(family.relative_api, family.case_id)
    family.applicant_api.get(f"/api/v1/cases/{family.case_id}", expect=200)


def test_a_member_id_of_another_case_is_not_found_on_ones_own_case(embedded_stack):
    mine, theirs = make_family(embedded_stack), make_family(embedded_stack)
    for member_id in theirs.member_ids:
        for action in ("approve", "refuse"):
            response = mine.applicant_api.post(f"/api/v1/cases/{mine.case_id}/members/{member_id}/{action}")
            assert response.status_code == 404 and response.json()["message"] == "没有找到该家属"
        assert mine.applicant_api.request("DELETE", f"/api/v1/cases/{mine.case_id}/members/{member_id}").status_code == 404
    theirs.relative_api.get(f"/api/v1/cases/{theirs.case_id}", expect=200)
