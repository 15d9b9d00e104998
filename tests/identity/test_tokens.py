"""The JWT forgery suite: every kind of forged, stale or misused token is refused (401)."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.conftest import TEST_SECRETS
from tests.helpers import Api
from tests.people import login_tokens, new_person

KEY = TEST_SECRETS["JWT_SECRET"]
ME = "/api/v1/me/cases"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def family(embedded_stack):
    person = new_person()
    tokens = login_tokens(embedded_stack, person)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return {"tokens": tokens, "claims": claims}


def _claims(family, **changes) -> dict:
    now = int(time.time())
    claims = {**family["claims"], "iat": now, "exp": now + 600, **changes}
    return {k: v for k, v in claims.items() if v is not None}


def _mint(claims: dict, *, key: str = KEY, algorithm: str = "HS256", kid: str | None = "k1") -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def _status(stack, token: str) -> int:
    response = Api(stack.base_url, token).get(ME)
    if response.status_code == 401:
        assert response.json() == {"code": "invalid_token", "message": "登录已失效，请重新登录", "errors": {}}
    return response.status_code


def test_a_token_minted_with_the_right_key_and_claims_is_accepted(embedded_stack, family):
    # The control: the forgeries below differ from this in one thing each.
    assert _status(embedded_stack, _mint(_claims(family))) == 200
    assert _status(embedded_stack, family["tokens"]["access_token"]) == 200


def test_alg_none_is_refused(embedded_stack, family):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{_b64(_claims(family))}."
    assert _status(embedded_stack, token) == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_another_algorithm_with_the_right_key_is_refused(embedded_stack, family, algorithm):
    assert _status(embedded_stack, _mint(_claims(family), algorithm=algorithm)) == 401


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "PS256"])
def test_an_asymmetric_algorithm_is_refused(embedded_stack, family, algorithm):
    signature = base64.urlsafe_b64encode(b"x" * 256).rstrip(b"=").decode()
    token = f"{_b64({'alg': algorithm, 'typ': 'JWT', 'kid': 'k1'})}.{_b64(_claims(family))}.{signature}"
    assert _status(embedded_stack, token) == 401


def test_wrong_key_is_refused(embedded_stack, family):
    assert _status(embedded_stack, _mint(_claims(family), key="another-secret-0123456789abcdef0123456789")) == 401


@pytest.mark.parametrize("kid", ["k9", None])
def test_unknown_or_missing_key_id_is_refused(embedded_stack, family, kid):
    assert _status(embedded_stack, _mint(_claims(family), kid=kid)) == 401


def test_expired_past_the_leeway_is_refused_but_within_it_accepted(embedded_stack, family):
    now = int(time.time())
    assert _status(embedded_stack, _mint(_claims(family, iat=now - 1000, exp=now - 30))) == 401
    # 10 seconds of clock difference between servers are tolerated.
    assert _status(embedded_stack, _mint(_claims(family, iat=now - 1000, exp=now - 2))) == 200


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub", "typ", "sid"])
def test_a_required_claim_missing_is_refused(embedded_stack, family, claim):
    assert _status(embedded_stack, _mint(_claims(family, **{claim: None}))) == 401


def test_not_before_in_the_future_is_refused(embedded_stack, family):
    assert _status(embedded_stack, _mint(_claims(family, nbf=int(time.time()) + 3600))) == 401


def test_issued_in_the_future_is_refused(embedded_stack, family):
    now = int(time.time())
    assert _status(embedded_stack, _mint(_claims(family, iat=now + 3600, exp=now + 7200))) == 401


@pytest.mark.parametrize("claim,value", [("aud", "another-app"), ("iss", "someone-else"), ("aud", ["x", "y"])])
def test_wrong_audience_or_issuer_is_refused(embedded_stack, family, claim, value):
    assert _status(embedded_stack, _mint(_claims(family, **{claim: value}))) == 401


def test_tampered_payload_is_refused(embedded_stack, family):
    header, _, signature = family["tokens"]["access_token"].split(".")
    other = login_tokens(embedded_stack, new_person())
    payload = _b64({**family["claims"], "sub": jwt.decode(other["access_token"], options={"verify_signature": False})["sub"]})
    assert _status(embedded_stack, f"{header}.{payload}.{signature}") == 401


def test_a_refresh_token_is_not_an_access_token(embedded_stack, family):
    refresh = login_tokens(embedded_stack, new_person())["refresh_token"]
    assert _status(embedded_stack, refresh) == 401
    assert _status(embedded_stack, _mint(_claims(family, typ="refresh"))) == 401


def test_an_access_token_cannot_refresh(embedded_stack, family):
    response = Api(embedded_stack.base_url).post("/api/v1/auth/refresh",
                                                  json={"refresh_token": family["tokens"]["access_token"]})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic abc", "Token x", "bearer garbage", "Bearer a.b.c"])
def test_malformed_authorization_headers_are_refused(embedded_stack, header):
    response = Api(embedded_stack.base_url).get(ME, headers={"Authorization": header})
    assert response.status_code == 401


def test_a_staff_role_claim_is_not_trusted_over_the_account(embedded_stack):
    """Even a correctly signed token that claims ``admin`` for a clerk's account gets clerk rights:
    role and scope are read from the account on every request."""
    clerk = Api(embedded_stack.base_url).as_staff("clerk.cs")
    claims = jwt.decode(clerk.token, options={"verify_signature": False})
    forged = _mint({**claims, "rol": "admin", "win": None, "iat": int(time.time()), "exp": int(time.time()) + 600})
    assert Api(embedded_stack.base_url, forged).get("/api/v1/admin/dead-letters").status_code == 403


def test_a_deactivated_staff_account_loses_access_at_once(embedded_stack):
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.identity.models import StaffUser

    with embedded_stack.app.app_context():
        user = StaffUser(username=f"clerk.tmp.{time.time_ns()}", display_name="临时窗口", role="clerk",
                         window_id="cs-funeral-home", county_code="430100",
                         password_hash=generate_password_hash("temp-pass-2026"))
        db.session.add(user)
        db.session.commit()
        user_id, username = user.id, user.username
    token = Api(embedded_stack.base_url).post("/api/v1/auth/staff-login", expect=200, json={
        "username": username, "password": "temp-pass-2026"}).json()["access_token"]
    assert Api(embedded_stack.base_url, token).get("/api/v1/windows/cs-funeral-home/qrcode?format=json").status_code == 200
    with embedded_stack.app.app_context():
        db.session.get(StaffUser, user_id).active = False
        db.session.commit()
    assert Api(embedded_stack.base_url, token).get("/api/v1/windows/cs-funeral-home/qrcode?format=json").status_code == 401


def test_a_token_accepted_before_is_refused_once_it_expires(embedded_stack, family, frozen_clock):
    """Verified tokens are kept (app.identity.tokens._verified); their time limits are not."""
    from datetime import datetime, timezone

    now = int(time.time())
    token = _mint(_claims(family, iat=now, exp=now + 60))
    assert _status(embedded_stack, token) == 200
    assert _status(embedded_stack, token) == 200
    frozen_clock(datetime.fromtimestamp(now + 60 + 11, tz=timezone.utc))
    assert _status(embedded_stack, token) == 401


def test_a_token_accepted_before_is_refused_once_its_key_is_retired(embedded_stack, family, monkeypatch):
    token = _mint(_claims(family))
    assert _status(embedded_stack, token) == 200
    monkeypatch.setitem(embedded_stack.app.config, "JWT_KEYS", {"k2": "another-secret-of-at-least-32-bytes!!"})
    assert _status(embedded_stack, token) == 401


def test_a_forged_signature_is_refused_even_for_a_token_accepted_before(embedded_stack, family):
    token = _mint(_claims(family))
    assert _status(embedded_stack, token) == 200
    header, payload, signature = token.split(".")
    forged = _b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "someone-else"})
    assert _status(embedded_stack, f"{header}.{forged}.{signature}") == 401
