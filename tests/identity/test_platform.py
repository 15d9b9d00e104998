"""Platform login through a real HTTP code exchange with the sandbox platform (sandbox only)."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import requests

from app import clock
from tests.conftest import TEST_SECRETS
from tests.helpers import Api
from tests.people import new_person, side_app


def _code(stack, person) -> str:
    return Api(stack.base_url).post("/sandbox/platform/login-codes", json=person, expect=201).json()["code"]


def test_platform_login_exchanges_the_code_over_http(embedded_stack, monkeypatch):
    import app.identity.platform as platform
    from app import outbound

    calls = []

    def spy(method, url, **kwargs):
        calls.append((method, url))
        return outbound.request(method, url, **kwargs)

    # Only the adapter's module sees the spy (sandbox departments use outbound meanwhile).
    monkeypatch.setattr(platform, "outbound", SimpleNamespace(request=spy, RequestError=outbound.RequestError))
    person = new_person()
    body = Api(embedded_stack.base_url).post("/api/v1/auth/platform-login", json={"code": _code(embedded_stack, person)},
                                             expect=200).json()
    assert body["user"]["name"] == person["name"] and body["expires_in"] == 900
    assert calls == [("POST", f"{embedded_stack.base_url}/sandbox/platform/oauth/token")]
    assert person["id_number"] not in str(body)


def test_a_login_code_works_once(embedded_stack):
    code = _code(embedded_stack, new_person())
    api = Api(embedded_stack.base_url)
    api.post("/api/v1/auth/platform-login", json={"code": code}, expect=200)
    again = api.post("/api/v1/auth/platform-login", json={"code": code})
    assert again.status_code == 401
    assert again.json() == {"code": "invalid_login_code", "message": "登录码无效或已过期，请重新登录", "errors": {}}


def test_a_login_code_expires_after_five_minutes(embedded_stack, frozen_clock):
    start = clock.now()
    frozen_clock(start)
    code = _code(embedded_stack, new_person())
    frozen_clock(start + timedelta(seconds=301))
    assert Api(embedded_stack.base_url).post("/api/v1/auth/platform-login", json={"code": code}).status_code == 401


def test_an_unknown_code_is_refused(embedded_stack):
    response = Api(embedded_stack.base_url).post("/api/v1/auth/platform-login", json={"code": "not-a-real-code"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_login_code"


def test_the_sandbox_token_endpoint_wants_our_client_credentials(embedded_stack):
    url = f"{embedded_stack.base_url}/sandbox/platform/oauth/token"
    person = new_person()
    body = {"grant_type": "authorization_code", "code": _code(embedded_stack, person)}
    assert requests.post(url, json=body, timeout=10).status_code == 401
    assert requests.post(url, json=body, auth=("hsyjs", "wrong"), timeout=10).status_code == 401
    secret = embedded_stack.app.config["PLATFORM_CLIENT_SECRET"]
    answer = requests.post(url, json=body, auth=("hsyjs", secret), timeout=10)
    assert answer.status_code == 200 and answer.json() == person
    # The refused attempts did not use up the code; the successful one did.
    assert requests.post(url, json=body, auth=("hsyjs", secret), timeout=10).status_code == 400


def test_an_unreachable_platform_answers_503_in_the_error_shape(embedded_stack):
    client = side_app(embedded_stack, PLATFORM_BASE_URL="http://127.0.0.1:9", PLATFORM_TIMEOUT_SECONDS="1").test_client()
    response = client.post("/api/v1/auth/platform-login", json={"code": "whatever"})
    assert response.status_code == 503
    assert response.get_json() == {"code": "platform_unavailable", "message": "平台登录暂时不可用，请稍后再试", "errors": {}}


def test_wrong_client_credentials_are_an_outage_not_the_users_fault(embedded_stack):
    client = side_app(embedded_stack, PLATFORM_CLIENT_SECRET="not-the-secret").test_client()
    response = client.post("/api/v1/auth/platform-login", json={"code": _code(embedded_stack, new_person())})
    assert response.status_code == 503


def test_with_sandbox_off_there_is_no_sandbox_platform_and_no_default_provider(tmp_path):
    from app import create_app
    from app.config import load_config
    from tests.conftest import _callback_secrets

    env = {"SANDBOX": "0", "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
           "JWT_SECRET": TEST_SECRETS["JWT_SECRET"], "QR_SECRET": TEST_SECRETS["QR_SECRET"],
           "DATA_KEYS": TEST_SECRETS["DATA_KEYS"], "BLIND_INDEX_KEY": TEST_SECRETS["BLIND_INDEX_KEY"],
           "DEPARTMENT_CALLBACK_SECRETS": _callback_secrets()}
    config = load_config(env)
    assert config["PLATFORM_BASE_URL"] == "" and config["STAFF_TOTP_REQUIRED"] is True
    app = create_app(config)
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/sandbox")]
    response = app.test_client().post("/api/v1/auth/platform-login", json={"code": "anything"})
    assert response.status_code == 503 and response.get_json()["code"] == "platform_unavailable"
