"""Rate limits on sign-in, login-code issue, scan and bind; brute-forcing QR tokens finds nothing.

Limits are configuration: the live stacks raise them for the journeys, these tests lower them on
an app of their own (same database) and count from there.
"""
from __future__ import annotations

import secrets
import string

import pytest

from app.errors import NotFound
from tests.helpers import STAFF_PASSWORD
from tests.people import login_tokens, new_person, side_app

TOO_MANY = {"code": "too_many_requests", "message": "操作太频繁，请稍后再试", "errors": {}}


def _assert_limited(response):
    assert response.status_code == 429
    assert response.get_json() == TOO_MANY
    assert int(response.headers["Retry-After"]) > 0


def _bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_staff_login_is_limited_per_account_and_per_address(embedded_stack):
    client = side_app(embedded_stack, RATE_LIMIT_STAFF_LOGIN_ACCOUNT="3/minute", RATE_LIMIT_STAFF_LOGIN="5/minute").test_client()
    for _ in range(3):
        assert client.post("/api/v1/auth/staff-login", json={"username": "clerk.cs", "password": "guess"}).status_code == 401
    # The fourth guess at the same account is refused, even with the right password.
    _assert_limited(client.post("/api/v1/auth/staff-login", json={"username": "clerk.cs", "password": STAFF_PASSWORD}))
    # Another account from the same address still works, until the address's own limit.
    assert client.post("/api/v1/auth/staff-login", json={"username": "clerk.yuelu", "password": STAFF_PASSWORD}).status_code == 200
    assert client.post("/api/v1/auth/staff-login", json={"username": "supervisor.cs", "password": "x"}).status_code == 401
    _assert_limited(client.post("/api/v1/auth/staff-login", json={"username": "admin.hn", "password": STAFF_PASSWORD}))


def test_platform_login_and_login_codes_are_limited(embedded_stack):
    client = side_app(embedded_stack, RATE_LIMIT_PLATFORM_LOGIN="2/minute", RATE_LIMIT_LOGIN_CODE="2/minute").test_client()
    for _ in range(2):
        assert client.post("/api/v1/auth/platform-login", json={"code": "guess"}).status_code == 401
    _assert_limited(client.post("/api/v1/auth/platform-login", json={"code": "guess"}))
    for _ in range(2):
        assert client.post("/sandbox/platform/login-codes", json=new_person()).status_code == 201
    _assert_limited(client.post("/sandbox/platform/login-codes", json=new_person()))


def test_scan_and_bind_are_limited_per_family_member(embedded_stack):
    client = side_app(embedded_stack, RATE_LIMIT_SCAN="5/minute", RATE_LIMIT_BIND="2/minute").test_client()
    guesser, other = _bearer(login_tokens(embedded_stack, new_person())), _bearer(login_tokens(embedded_stack, new_person()))
    for _ in range(5):
        assert client.post("/api/v1/scan", json={"token": secrets.token_urlsafe(20)}, headers=guesser).status_code == 404
    _assert_limited(client.post("/api/v1/scan", json={"token": secrets.token_urlsafe(20)}, headers=guesser))
    assert client.post("/api/v1/scan", json={"token": secrets.token_urlsafe(20)}, headers=other).status_code == 404
    for _ in range(2):
        assert client.post("/api/v1/scan/bind", json={"token": secrets.token_urlsafe(20)}, headers=guesser).status_code == 404
    _assert_limited(client.post("/api/v1/scan/bind", json={"token": secrets.token_urlsafe(20)}, headers=guesser))


def test_a_redis_outage_does_not_fail_requests_and_limits_still_hold(embedded_stack):
    client = side_app(embedded_stack, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                      RATE_LIMIT_STAFF_LOGIN_ACCOUNT="2/minute").test_client()
    statuses = [client.post("/api/v1/auth/staff-login", json={"username": "clerk.cs", "password": "guess"}).status_code
                for _ in range(4)]
    assert 500 not in statuses
    assert statuses[:2] == [401, 401] and statuses[-1] == 429  # counted in memory meanwhile


def test_ten_thousand_random_tokens_find_nothing(embedded_stack):
    """Guessing against the lookup itself (the HTTP path is rate-limited above): 0 hits."""
    from app.qr import service

    alphabet = string.ascii_letters + string.digits + "-_"
    hits = 0
    with embedded_stack.app.app_context():
        for _ in range(10_000):
            token = "".join(secrets.choice(alphabet) for _ in range(service.TOKEN_LENGTH))
            try:
                service.scan(token=token)
                hits += 1
            except NotFound:
                pass
    assert hits == 0


@pytest.mark.parametrize("token", ["", "a" * 33, "../../etc/passwd", "' OR 1=1 --"])
def test_malformed_tokens_are_refused_without_error(embedded_stack, token):
    client = side_app(embedded_stack).test_client()
    response = client.post("/api/v1/scan", json={"token": token}, headers=_bearer(login_tokens(embedded_stack, new_person())))
    assert response.status_code in {404, 422}


def test_limits_are_counted_in_redis_when_redis_is_configured(postgres_stack):
    import uuid

    from redis import Redis

    prefix = f"rl-test-{uuid.uuid4().hex[:8]}"
    assert postgres_stack.app.config["RATELIMIT_STORAGE_URI"] == postgres_stack.env["REDIS_URL"]
    client = side_app(postgres_stack, RATE_LIMIT_STAFF_LOGIN_ACCOUNT="2/minute", RATELIMIT_KEY_PREFIX=prefix).test_client()
    for _ in range(2):
        assert client.post("/api/v1/auth/staff-login", json={"username": "clerk.cs", "password": "guess"}).status_code == 401
    _assert_limited(client.post("/api/v1/auth/staff-login", json={"username": "clerk.cs", "password": "guess"}))
    redis = Redis.from_url(postgres_stack.env["REDIS_URL"])
    keys = list(redis.scan_iter(f"*{prefix}*"))
    assert keys
    redis.delete(*keys)


def test_only_limited_endpoints_go_through_the_limiter(postgres_stack):
    """Flask-Limiter's hooks run for marked endpoints only: a limited one answers with its
    X-RateLimit headers and counts in Redis; an unmarked one carries none and counts nothing."""
    import uuid

    from redis import Redis

    prefix = f"rl-test-{uuid.uuid4().hex[:8]}"
    client = side_app(postgres_stack, RATE_LIMIT_STAFF_LOGIN_ACCOUNT="5/minute", RATELIMIT_KEY_PREFIX=prefix).test_client()
    redis = Redis.from_url(postgres_stack.env["REDIS_URL"])
    unmarked = client.get("/api/v1/catalogue/matters")
    assert unmarked.status_code == 200
    assert not [h for h in unmarked.headers.keys() if h.lower().startswith("x-ratelimit")]
    assert list(redis.scan_iter(f"*{prefix}*")) == []
    marked = client.post("/api/v1/auth/staff-login", json={"username": "clerk.cs", "password": "guess"})
    assert marked.status_code == 401 and marked.headers["X-RateLimit-Limit"]
    keys = list(redis.scan_iter(f"*{prefix}*"))
    assert keys
    redis.delete(*keys)
