"""The OpenAPI document describes what the API really answers (``app/openapi.py``); the
fuzzing in ``tests/fuzz`` checks every answer against it."""
from __future__ import annotations

import pytest

ERROR_REF = "#/components/schemas/Error"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict:
    from tests.fuzz.world import served_document

    return served_document()


def _responses(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                for status, response in operation["responses"].items():
                    if "$ref" in response:
                        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                    yield f"{method.upper()} {path} {status}", status, response


def test_every_documented_error_answer_has_the_one_error_shape(document):
    """A 401, 404 or 422 documented with a description only hid the body of SPEC §10 from the
    document, so nothing generated or checked from it knew the shape."""
    missing = [name for name, status, response in _responses(document)
               if (status == "default" or status[0] in "45")
               and response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") != ERROR_REF]
    assert missing == []


def test_every_answer_with_a_body_names_its_media_types(document):
    """A PNG, PDF or CSV answer documented with a description only (no ``content``) could not be
    checked for its media type, and the QR code's SVG and JSON forms were not documented."""
    bodiless = {"204", "304"}
    missing = [name for name, status, response in _responses(document)
               if status not in bodiless and not response.get("content")]
    assert missing == []
    qrcode = document["paths"]["/api/v1/cases/{case_id}/qrcode"]["get"]["responses"]["200"]["content"]
    assert set(qrcode) == {"image/png", "image/svg+xml", "application/json"}


def test_an_upload_download_documents_the_media_types_it_serves(document):
    content = document["paths"]["/api/v1/cases/{case_id}/uploads/{upload_id}"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"image/jpeg", "image/png", "application/pdf"}
