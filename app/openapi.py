"""What the OpenAPI document says about every answer's body, beyond each view's decorators.

flask-smorest documents a response body only when the decorator names a schema. So
``alt_response(401, description=…)`` hid that every error answer carries the one error shape
of SPEC §10, and ``response(200, content_type="image/png")`` hid the PNG: nothing generated or
checked from the document knew either. :func:`document_bodies` fills these in for every
blueprint (:class:`app.extensions.HsyjsApi` adds it when a blueprint is registered):

- a 4xx or 5xx without a schema: ``application/json`` with the ``Error`` schema;
- a 2xx without a schema, other than 204: its ``content_type`` as a binary string, or, with
  none (flask-smorest then answers JSON), ``application/json`` of any shape.
"""
from __future__ import annotations

from collections.abc import Mapping

JSON = "application/json"
BINARY = {"type": "string", "format": "binary"}
BODILESS = {204, 304}


def document_bodies(doc: dict, doc_info: dict, *, api, **kwargs) -> dict:
    """A flask-smorest doc callback, run before its own response callback: gives each
    documented response without a schema the body it really has (see the module docstring)."""
    for status, responses in doc_info.get("response", {}).get("responses", {}).items():
        for response in responses:
            if not isinstance(response, Mapping) or "schema" in response or status == "default":
                continue
            code = int(status)
            if code >= 400:
                response["schema"] = api.ERROR_SCHEMA
                response["content_type"] = response.get("content_type") or JSON
            elif code not in BODILESS:
                content_type = response.get("content_type") or JSON
                response["schema"] = {} if content_type == JSON else dict(BINARY)
                response["content_type"] = content_type
    return doc


def add_to(blueprint) -> None:
    """Run :func:`document_bodies` before flask-smorest prepares ``blueprint``'s responses
    (idempotent: the blueprints are module objects, registered again by every app built)."""
    callbacks = blueprint._prepare_doc_cbks
    if document_bodies not in callbacks:
        callbacks.insert(callbacks.index(blueprint._prepare_response_doc), document_bodies)
