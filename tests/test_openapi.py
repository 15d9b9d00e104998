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


def _served_under(optimize: str, tmp_path) -> dict:
    """What a fresh interpreter with ``PYTHONOPTIMIZE=optimize`` serves through ``wsgi``:
    the OpenAPI document and whose docstrings it kept."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import TEST_SECRETS

    root = Path(__file__).resolve().parent.parent
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PYTHONOPTIMIZE")}
    env.update(TEST_SECRETS, PYTHONPATH=str(root), SANDBOX="1", PYTHONOPTIMIZE=optimize,
               DATABASE_URL=f"sqlite:///{tmp_path / 'served.sqlite3'}", UPLOAD_DIR=str(tmp_path / "uploads"))
    code = ("import json, sys, flask, wsgi, app.cases.views\n"
            "spec = wsgi.app.test_client().get('/openapi.json').get_json()\n"
            "print(json.dumps({'spec': spec, 'optimize': sys.flags.optimize,\n"
            "                  'library_doc': flask.Flask.__doc__ is not None,\n"
            "                  'own_doc': app.cases.views.__doc__ is not None}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_served_without_library_docstrings_the_document_is_unchanged(tmp_path):
    """The API is served with ``PYTHONOPTIMIZE=2`` (``make serve-prod``, deploy/): about 6.5 MiB
    less a process. flask-smorest takes each operation's summary and description from the
    view's docstring, so our own modules must keep theirs (``wsgi._OwnCodeKeepsDocstrings``)."""
    plain, optimized = _served_under("", tmp_path / "plain"), _served_under("2", tmp_path / "optimized")
    assert (plain["optimize"], optimized["optimize"]) == (0, 2)
    assert plain["library_doc"] and not optimized["library_doc"]  # -OO did leave them out
    assert optimized["own_doc"]
    summaries = [op.get("summary") for item in plain["spec"]["paths"].values() for op in item.values()
                 if isinstance(op, dict)]
    assert sum(1 for s in summaries if s) > 30  # the docstrings are where these come from
    assert optimized["spec"] == plain["spec"]
