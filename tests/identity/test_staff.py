"""Staff accounts: hashed passwords, the TOTP second factor, roles and scopes."""
from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from werkzeug.security import generate_password_hash

from app import clock
from app.cli import SANDBOX_STAFF
from app.extensions import db
from app.identity.models import STAFF_ROLES, StaffUser
from tests.helpers import STAFF_PASSWORD, Api
from tests.people import side_app

LOGIN = "/api/v1/auth/staff-login"


def _new_clerk(stack) -> str:
    username = f"clerk.totp.{time.time_ns()}"
    with stack.app.app_context():
        db.session.add(StaffUser(username=username, display_name="测试窗口", role="clerk", window_id="cs-funeral-home",
                                 county_code="430100", password_hash=generate_password_hash("totp-pass-2026")))
        db.session.commit()
    return username


def test_sandbox_has_a_fictional_account_for_every_role_and_keeps_the_known_ones(embedded_stack):
    assert {s["role"] for s in SANDBOX_STAFF} == set(STAFF_ROLES)
    usernames = {s["username"] for s in SANDBOX_STAFF}
    assert {"clerk.cs", "clerk.yuelu", "supervisor.cs"} <= usernames
    for staff in SANDBOX_STAFF:
        body = Api(embedded_stack.base_url).post(LOGIN, json={"username": staff["username"], "password": STAFF_PASSWORD},
                                                 expect=200).json()
        assert body["staff"]["role"] == staff["role"]
        assert body["staff"]["window_id"] == staff.get("window_id")
        assert body["staff"]["department"] == staff.get("department")
        assert body["staff"]["county_code"] == staff.get("county_code")


def test_passwords_are_stored_as_scrypt_hashes(embedded_stack):
    with embedded_stack.app.app_context():
        user = db.session.execute(db.select(StaffUser).filter_by(username="clerk.cs")).scalar_one()
        assert user.password_hash.startswith("scrypt:") and STAFF_PASSWORD not in user.password_hash


@pytest.mark.parametrize("username,password", [("clerk.cs", "wrong-pass"), ("nobody.here", STAFF_PASSWORD)])
def test_wrong_password_and_unknown_user_get_the_same_answer(embedded_stack, username, password):
    response = Api(embedded_stack.base_url).post(LOGIN, json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"code": "bad_credentials", "message": "用户名、密码或动态口令不正确", "errors": {}}


def test_totp_required_refuses_an_account_without_a_second_factor(embedded_stack):
    client = side_app(embedded_stack, STAFF_TOTP_REQUIRED="1").test_client()
    response = client.post(LOGIN, json={"username": "clerk.yuelu", "password": STAFF_PASSWORD})
    assert response.status_code == 401 and response.get_json()["code"] == "totp_not_enrolled"
    # A wrong password says nothing about the second factor.
    response = client.post(LOGIN, json={"username": "clerk.yuelu", "password": "wrong-pass"})
    assert response.get_json()["code"] == "bad_credentials"


def test_sandbox_accounts_sign_in_with_a_password_alone_when_totp_is_not_required(embedded_stack):
    assert embedded_stack.app.config["STAFF_TOTP_REQUIRED"] is False
    Api(embedded_stack.base_url).post(LOGIN, json={"username": "clerk.yuelu", "password": STAFF_PASSWORD}, expect=200)


def test_enrolment_then_every_login_needs_a_fresh_code(embedded_stack, frozen_clock):
    start = clock.now()
    frozen_clock(start)
    username = _new_clerk(embedded_stack)
    api = Api(embedded_stack.base_url)
    staff = Api(embedded_stack.base_url, api.post(LOGIN, json={"username": username, "password": "totp-pass-2026"},
                                                  expect=200).json()["access_token"])
    enrolment = staff.post("/api/v1/auth/totp/enrolment", expect=201).json()
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/") and len(enrolment["secret"]) == 32
    totp = pyotp.TOTP(enrolment["secret"])
    bad = staff.post("/api/v1/auth/totp/enrolment/confirm", json={"totp_code": "000000" if totp.at(start) != "000000" else "111111"})
    assert bad.status_code == 422
    staff.post("/api/v1/auth/totp/enrolment/confirm", json={"totp_code": totp.at(start)}, expect=200)
    # Enrolled: a second enrolment from a signed-in session is refused (an operator re-enrols).
    assert staff.post("/api/v1/auth/totp/enrolment").status_code == 409

    password_only = api.post(LOGIN, json={"username": username, "password": "totp-pass-2026"})
    assert password_only.status_code == 401 and password_only.json()["code"] == "totp_required"
    # The code used for the enrolment cannot be replayed.
    replay = api.post(LOGIN, json={"username": username, "password": "totp-pass-2026", "totp_code": totp.at(start)})
    assert replay.status_code == 401 and replay.json()["code"] == "bad_credentials"
    later = start + timedelta(seconds=30)
    frozen_clock(later)
    wrong_password = api.post(LOGIN, json={"username": username, "password": "nope", "totp_code": totp.at(later)})
    assert wrong_password.status_code == 401
    body = api.post(LOGIN, json={"username": username, "password": "totp-pass-2026", "totp_code": totp.at(later)},
                    expect=200).json()
    assert body["staff"]["totp_enrolled"] is True
    assert api.post(LOGIN, json={"username": username, "password": "totp-pass-2026",
                                 "totp_code": totp.at(later)}).status_code == 401
    # One step of drift either way is accepted; two are not.
    frozen_clock(later + timedelta(seconds=60))
    assert api.post(LOGIN, json={"username": username, "password": "totp-pass-2026",
                                 "totp_code": totp.at(later + timedelta(seconds=90))}).status_code == 200
    assert api.post(LOGIN, json={"username": username, "password": "totp-pass-2026",
                                 "totp_code": totp.at(later + timedelta(seconds=150))}).status_code == 401


def test_an_enrolled_account_passes_when_totp_is_required(embedded_stack, frozen_clock):
    start = clock.now()
    frozen_clock(start)
    username = _new_clerk(embedded_stack)
    with embedded_stack.app.app_context():
        from app.identity import mfa

        user = db.session.execute(db.select(StaffUser).filter_by(username=username)).scalar_one()
        user.totp_secret, user.totp_confirmed_at = mfa.new_secret(), start
        db.session.commit()
        secret = user.totp_secret
    client = side_app(embedded_stack, STAFF_TOTP_REQUIRED="1").test_client()
    response = client.post(LOGIN, json={"username": username, "password": "totp-pass-2026",
                                        "totp_code": pyotp.TOTP(secret).at(start)})
    assert response.status_code == 200 and response.get_json()["staff"]["role"] == "clerk"


def test_the_operator_command_enrols_totp_and_ends_open_sessions(embedded_stack):
    username = _new_clerk(embedded_stack)
    api = Api(embedded_stack.base_url)
    token = api.post(LOGIN, json={"username": username, "password": "totp-pass-2026"}, expect=200).json()["access_token"]
    result = embedded_stack.app.test_cli_runner().invoke(args=["staff", "totp-enrol", username])
    assert result.exit_code == 0 and result.output.startswith("otpauth://totp/")
    assert Api(embedded_stack.base_url, token).get("/api/v1/windows/cs-funeral-home/qrcode?format=json").status_code == 401
    assert api.post(LOGIN, json={"username": username, "password": "totp-pass-2026"}).json()["code"] == "totp_required"


def test_families_cannot_enrol_totp(embedded_stack):
    from tests.people import login, new_person

    family = login(embedded_stack, new_person())
    assert family.post("/api/v1/auth/totp/enrolment").status_code == 403
