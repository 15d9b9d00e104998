"""Refuse hostile requests before any view sees them, in the one error shape (SPEC §10).

- JSON bodies are parsed once here: invalid, too deeply nested or with absurd numbers → 400,
  never a ``RecursionError`` or ``ValueError`` turning into a 500 further down.
- NUL characters (PostgreSQL cannot store them in text) in the path, query or body → 400.
- A lone UTF-16 surrogate escaped in a JSON body (``"\\ud800"``: valid JSON, but no UTF-8 can
  hold it, so storing, hashing or forwarding it raised ``UnicodeEncodeError``) → 400.
- Integer ids in URLs are bounded to PostgreSQL's ``integer`` range: a larger one is simply not
  found instead of overflowing the database driver.
"""
from __future__ import annotations

import json
import re

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_INT_ID = 2**31 - 1
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that only matches 0 … 2^31−1 (anything else is a 404)."""

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", MAX_INT_ID)
        super().__init__(map, **kwargs)


class InvalidRequest(BadRequest):
    def __init__(self, message: str):
        super().__init__(message)
        self.chinese = message


def _has_nul(text: str) -> bool:
    return "\x00" in text


def _check_request() -> None:
    if _has_nul(request.path) or _has_nul(request.query_string.decode("latin-1")) or "%00" in request.query_string.decode("latin-1"):
        raise InvalidRequest("请求中含有无效字符")
    # request.is_json: application/json and application/*+json, the types webargs parses as JSON
    if not request.is_json or not request.content_length and not request.data:
        return
    raw = request.get_data(cache=True)
    if b"\x00" in raw or b"\\u0000" in raw:
        raise InvalidRequest("请求内容中含有无效字符")
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise InvalidRequest("请求内容不是有效的 JSON") from None
    if _SURROGATE_ESCAPE.search(raw):  # a pair is one character; a lone half is no character at all
        try:
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRequest("请求内容中含有无效字符") from None


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_check_request)
