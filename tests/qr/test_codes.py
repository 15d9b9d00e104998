"""Case QR codes: format, storage as a hash, expiry, revocation and re-issue, PNG and SVG."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from app import clock
from tests.helpers import Api
from tests.people import file_case, login, make_family, new_person, qr_token

#: The mini-program ``scene`` characters: letters, digits and !#$&'()*+,/:;=?@-._~ (≤ 32).
SCENE = re.compile(r"^[A-Za-z0-9!#$&'()*+,/:;=?@\-._~]{1,32}$")


@pytest.fixture(scope="module")
def family(embedded_stack):
    return make_family(embedded_stack)


def test_tokens_fit_the_scene_parameter_and_carry_160_bits(embedded_stack):
    clerk, case, _ = file_case(embedded_stack, new_person())
    token = qr_token(clerk, case["id"])
    assert SCENE.match(token) and len(token) == 27  # 27 base64url characters = 162 bits
    link = clerk.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["link"]
    assert link.endswith(f"?scene={token}")


def test_only_a_hash_of_the_token_is_stored(embedded_stack):
    clerk, case, _ = file_case(embedded_stack, new_person())
    token = qr_token(clerk, case["id"])
    from app.cases.models import QrToken
    from app.extensions import db

    with embedded_stack.app.app_context():
        rows = db.session.execute(db.select(QrToken).filter_by(case_id=case["id"])).scalars().all()
        stored = [str(v) for row in rows for v in (row.token_hash, row.nonce, row.kind, row.case_id)]
    assert token not in " ".join(stored)
    assert hashlib.sha256(token.encode()).hexdigest() in stored


@pytest.mark.parametrize("fmt,mimetype,magic", [("png", "image/png", b"\x89PNG"), ("svg", "image/svg+xml", b"<?xml")])
def test_png_and_svg(family, fmt, mimetype, magic):
    response = family.applicant_api.get(f"/api/v1/cases/{family.case_id}/qrcode?format={fmt}", expect=200)
    assert response.headers["Content-Type"].startswith(mimetype) and response.content.startswith(magic)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_only_the_applicant_and_the_window_get_the_code(embedded_stack, family):
    path = f"/api/v1/cases/{family.case_id}/qrcode?format=json"
    assert family.applicant_api.get(path).status_code == 200
    assert family.clerk_api.get(path).status_code == 200
    assert family.relative_api.get(path).status_code == 403  # may read the case, not hand out its code
    assert login(embedded_stack, new_person()).get(path).status_code == 404
    assert Api(embedded_stack.base_url).as_staff("clerk.yuelu").get(path).status_code == 404


def test_reissue_stops_the_old_code_at_once(embedded_stack):
    family = make_family(embedded_stack)
    stranger = login(embedded_stack, new_person())
    old = family.token
    assert stranger.post("/api/v1/scan", json={"token": old}).status_code == 200
    fresh = family.applicant_api.post(f"/api/v1/cases/{family.case_id}/qrcode/reissue", expect=201).json()
    assert fresh["token"] != old and SCENE.match(fresh["token"])
    for path in ("/api/v1/scan", "/api/v1/scan/bind"):
        gone = stranger.post(path, json={"token": old})
        assert gone.status_code == 404 and gone.json()["code"] == "invalid_qr"
    assert stranger.post("/api/v1/scan", json={"token": fresh["token"]}, expect=200).json()["kind"] == "case"
    assert qr_token(family.applicant_api, family.case_id) == fresh["token"]
    # Members already bound keep their access.
    family.relative_api.get(f"/api/v1/cases/{family.case_id}", expect=200)
    # The window can re-issue too; a relative and strangers cannot.
    family.clerk_api.post(f"/api/v1/cases/{family.case_id}/qrcode/reissue", expect=201)
    assert family.relative_api.post(f"/api/v1/cases/{family.case_id}/qrcode/reissue").status_code == 403
    assert stranger.post(f"/api/v1/cases/{family.case_id}/qrcode/reissue").status_code == 404


def test_revoke_withdraws_the_code_until_a_new_one_is_issued(embedded_stack):
    family = make_family(embedded_stack)
    stranger = login(embedded_stack, new_person())
    family.applicant_api.post(f"/api/v1/cases/{family.case_id}/qrcode/revoke", expect=204)
    assert stranger.post("/api/v1/scan", json={"token": family.token}).status_code == 404
    assert family.applicant_api.get(f"/api/v1/cases/{family.case_id}/qrcode?format=json").status_code == 404
    fresh = family.applicant_api.post(f"/api/v1/cases/{family.case_id}/qrcode/reissue", expect=201).json()["token"]
    assert stranger.post("/api/v1/scan", json={"token": fresh}).status_code == 200
    kinds = [e["kind"] for e in family.applicant_api.get(f"/api/v1/cases/{family.case_id}/timeline", expect=200).json()]
    assert "qr_revoked" in kinds and "qr_reissued" in kinds


def test_an_expired_code_stops_working_and_can_be_reissued(embedded_stack, frozen_clock):
    family = make_family(embedded_stack)
    frozen_clock(clock.now() + timedelta(days=embedded_stack.app.config["QR_TOKEN_DAYS"], seconds=1))
    # 90 days on, everyone signs in again.
    stranger, applicant = login(embedded_stack, new_person()), login(embedded_stack, family.applicant)
    assert stranger.post("/api/v1/scan", json={"token": family.token}).status_code == 404
    expired = applicant.get(f"/api/v1/cases/{family.case_id}/qrcode?format=json")
    assert expired.status_code == 404 and expired.json()["code"] == "qr_expired"
    fresh = applicant.post(f"/api/v1/cases/{family.case_id}/qrcode/reissue", expect=201).json()
    assert stranger.post("/api/v1/scan", json={"token": fresh["token"]}).status_code == 200


def test_a_window_intake_code_is_static_and_names_only_the_window(embedded_stack):
    clerk = Api(embedded_stack.base_url).as_staff("clerk.yuelu")
    first = clerk.get("/api/v1/windows/yuelu-service-centre/qrcode?format=json", expect=200).json()
    second = clerk.get("/api/v1/windows/yuelu-service-centre/qrcode?format=json", expect=200).json()
    assert first["token"] == second["token"] and first["expires_at"] is None
    preview = login(embedded_stack, new_person()).post("/api/v1/scan", json={"token": first["token"]}, expect=200).json()
    assert preview == {"kind": "window", "window_id": "yuelu-service-centre", "window_name": "岳麓区政务服务中心"}
    # Another window's clerk cannot print it.
    assert Api(embedded_stack.base_url).as_staff("clerk.cs").get(
        "/api/v1/windows/yuelu-service-centre/qrcode?format=json").status_code == 404
