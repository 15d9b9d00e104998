"""Sign-out, refresh rotation with reuse detection, and key rotation: revocation is server-side
(the database on the embedded default, Redis with PostgreSQL + Redis) and takes effect at once."""
from __future__ import annotations

import json

import jwt

from tests.conftest import TEST_SECRETS
from tests.helpers import Api
from tests.people import login_tokens, new_person, side_app

ME = "/api/v1/me/cases"


def _get(stack, token: str) -> int:
    return Api(stack.base_url, token).get(ME).status_code


def test_logout_ends_the_access_and_refresh_tokens_of_that_login_only(stack):
    person = new_person()
    phone, laptop = login_tokens(stack, person), login_tokens(stack, person)
    assert _get(stack, phone["access_token"]) == 200
    Api(stack.base_url, phone["access_token"]).post("/api/v1/auth/logout", expect=204)
    assert _get(stack, phone["access_token"]) == 401
    refreshed = Api(stack.base_url).post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refreshed.status_code == 401
    # The other device's login goes on.
    assert _get(stack, laptop["access_token"]) == 200


def test_logout_everywhere_ends_every_login_of_the_account(stack):
    person = new_person()
    first, second = login_tokens(stack, person), login_tokens(stack, person)
    Api(stack.base_url, first["access_token"]).post("/api/v1/auth/logout", json={"everywhere": True}, expect=204)
    assert _get(stack, first["access_token"]) == 401
    assert _get(stack, second["access_token"]) == 401
    assert Api(stack.base_url).post("/api/v1/auth/refresh",
                                    json={"refresh_token": second["refresh_token"]}).status_code == 401
    # Signing in again works.
    assert _get(stack, login_tokens(stack, person)["access_token"]) == 200


def test_a_reused_refresh_token_ends_the_whole_login_including_live_access_tokens(stack):
    tokens = login_tokens(stack, new_person())
    api = Api(stack.base_url)
    rotated = api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, expect=200).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert _get(stack, rotated["access_token"]) == 200
    # A thief replays the first refresh token: the login ends for everyone holding its tokens.
    replay = api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401 and replay.json()["code"] == "token_reused"
    assert _get(stack, rotated["access_token"]) == 401
    assert _get(stack, tokens["access_token"]) == 401
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}).status_code == 401


def test_staff_tokens_are_revoked_the_same_way(stack):
    clerk = Api(stack.base_url).as_staff("clerk.yuelu")
    assert clerk.get("/api/v1/windows/yuelu-service-centre/qrcode?format=json").status_code == 200
    clerk.post("/api/v1/auth/logout", expect=204)
    assert clerk.get("/api/v1/windows/yuelu-service-centre/qrcode?format=json").status_code == 401


def test_revocation_is_stored_server_side_in_the_expected_place(stack):
    tokens = login_tokens(stack, new_person())
    sid = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    Api(stack.base_url, tokens["access_token"]).post("/api/v1/auth/logout", expect=204)
    from app.extensions import db
    from app.identity.models import RevokedSession

    with stack.app.app_context():
        assert db.session.get(RevokedSession, sid).reason == "logout"
    if stack.env.get("REDIS_URL"):
        from redis import Redis

        assert Redis.from_url(stack.env["REDIS_URL"]).exists(f"hsyjs:revoked-session:{sid}")


def test_keys_rotate_without_logging_anyone_out(embedded_stack):
    """``JWT_KEYS`` with a new signing ``kid``: tokens of the old key still verify; new tokens are
    signed with the new key; once the old key is dropped its tokens are refused."""
    old = login_tokens(embedded_stack, new_person())
    keys = {"k1": TEST_SECRETS["JWT_SECRET"], "k2": "rotated-jwt-secret-0123456789abcdef0123456789"}
    rotated = side_app(embedded_stack, JWT_KEYS=json.dumps(keys), JWT_KEY_ID="k2").test_client()
    auth = {"Authorization": f"Bearer {old['access_token']}"}
    assert rotated.get(ME, headers=auth).status_code == 200
    fresh = rotated.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]}).get_json()
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == "k2"
    assert rotated.get(ME, headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200
    # The old key retired: its tokens no longer verify anywhere that dropped it.
    retired = side_app(embedded_stack, JWT_KEYS=json.dumps({"k2": keys["k2"]}), JWT_KEY_ID="k2").test_client()
    other = login_tokens(embedded_stack, new_person())
    assert retired.get(ME, headers={"Authorization": f"Bearer {other['access_token']}"}).status_code == 401
    assert retired.get(ME, headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


def test_jwt_keys_must_include_the_signing_key_id():
    import pytest

    from app.config import load_config

    with pytest.raises(RuntimeError, match="JWT_KEY_ID"):
        load_config({"JWT_KEYS": json.dumps({"k1": "x" * 40}), "JWT_KEY_ID": "k2", "QR_SECRET": "q" * 40})
