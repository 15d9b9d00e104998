"""Hostile requests never reach a 500 and always get the one error shape in Chinese (SPEC §10)."""
import re

import pytest
import requests

from tests.helpers import Api

CJK = re.compile(r"[\u4e00-\u9fff]")
HOSTILE_BODIES = {
    "deep nesting": b"[" * 5000 + b"]" * 5000,
    "huge number": b'{"username": ' + b"1" * 5000 + b"}",
    "not json": b"{'username': 'clerk'",
    "escaped NUL": b'{"username": "clerk\\u0000", "password": "x"}',
    "latin-1 bytes": '{"username": "é"}'.encode("latin-1"),
    "array": b"[]",
}


def _json_posts(base_url: str) -> list[str]:
    spec = requests.get(f"{base_url}/openapi.json", timeout=30).json()
    return [path for path, ops in spec["paths"].items() if "post" in ops and "{" not in path]


def _assert_error_shape(response):
    assert response.status_code < 500, response.text[:300]
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert CJK.search(body["message"]), body
    for messages in body["errors"].values():
        assert all(CJK.search(m) for m in messages), body


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
def test_hostile_json_bodies_get_a_4xx_in_the_error_shape_on_every_post(stack, kind):
    for path in _json_posts(stack.base_url):
        response = requests.post(stack.base_url + path, data=HOSTILE_BODIES[kind],
                                 headers={"Content-Type": "application/json"}, timeout=30)
        _assert_error_shape(response)


def test_nul_in_path_and_query_is_refused(stack):
    clerk = Api(stack.base_url).as_staff()
    for path in ("/api/v1/cases/a%00b", "/api/v1/cases/abc/timeline?x=%00", "/api/v1/catalogue/matters?x=a%00"):
        _assert_error_shape(clerk.get(path))


def test_integer_ids_beyond_the_database_range_are_not_found(stack):
    form = {"name": "陈路人", "id_number": "430104199001010018", "phone": "13900000000"}
    family = Api(stack.base_url).as_family(**form)
    response = family.post("/api/v1/me/messages/99999999999999999999999/read")
    assert response.status_code == 404
    _assert_error_shape(response)
    _assert_error_shape(family.post("/api/v1/me/messages/2147483648/read"))


def test_unknown_query_values_are_refused_in_chinese(stack):
    clerk = Api(stack.base_url).as_staff()
    _assert_error_shape(clerk.get("/api/v1/cases/abc/qrcode?format=gif"))
