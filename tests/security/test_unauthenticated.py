"""Every protected endpoint answers 401 without a valid token, before it reads the request.

The list comes from ``/openapi.json``; an endpoint is public only if it is named below."""
from __future__ import annotations

import pytest
import requests

from tests.security.openapi import operations

#: Public by design: sign-in itself, the catalogue, signed department callbacks, the sandbox.
PUBLIC = {
    "POST /api/v1/auth/platform-login",
    "POST /api/v1/auth/staff-login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/departments/{department}/callbacks",
}
PUBLIC_PREFIXES = ("/sandbox/",)  # registered only with SANDBOX on
PUBLIC_READ_PREFIXES = ("/api/v1/catalogue/",)  # the matter catalogue is public data


def _is_public(op) -> bool:
    return (str(op) in PUBLIC or op.path.startswith(PUBLIC_PREFIXES)
            or (op.method == "GET" and op.path.startswith(PUBLIC_READ_PREFIXES)))


BAD_TOKENS = [None, "Bearer", "Bearer not-a-jwt",
              "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0."]


def test_the_document_lists_the_protected_endpoints_as_secured(embedded_stack):
    ops = operations(embedded_stack.base_url)
    assert len(ops) > 20
    unsecured = [str(op) for op in ops if not op.secured and not _is_public(op)]
    assert unsecured == [], "protected endpoints must declare bearerAuth in the OpenAPI document"


def test_every_protected_endpoint_answers_401_without_a_valid_token(embedded_stack):
    failures = []
    for op in operations(embedded_stack.base_url):
        if _is_public(op):
            continue
        url = embedded_stack.base_url + op.url({p: "1" for p in op.params})  # "1" fits int converters too
        for header in BAD_TOKENS:
            headers = {"Authorization": header} if header else {}
            # A nonsense body: authentication must come before validation.
            response = requests.request(op.method, url, headers=headers, json={"junk": 1}, timeout=10)
            if response.status_code != 401 or response.json().get("code") not in {"unauthorized", "invalid_token"}:
                failures.append(f"{op} with {header!r}: {response.status_code} {response.text[:120]}")
    assert failures == []


@pytest.mark.parametrize("path", ["/api/v1/catalogue/matters"])
def test_public_endpoints_stay_public(embedded_stack, path):
    assert requests.get(embedded_stack.base_url + path, timeout=10).status_code == 200
