"""Domain errors and the one error shape of SPEC §10.

Every error answer is ``{"code": str, "message": "<中文>", "errors": {dotted.field: [str, ...]}}``.
Services raise the :class:`DomainError` subclasses; one handler maps them. Nothing maps a broad
built-in such as ``ValueError``; anything unexpected becomes a 500 without a stack trace.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(self, message: str | None = None, *, errors: dict | None = None, code: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors or {}
        if code:
            self.code = code


class NotFound(DomainError):
    status, code, message = 404, "not_found", "没有找到要查看的内容"


class Unauthorized(DomainError):
    status, code, message = 401, "unauthorized", "请先登录"


class Forbidden(DomainError):
    status, code, message = 403, "forbidden", "您没有权限进行此操作"


class Conflict(DomainError):
    status, code, message = 409, "conflict", "当前状态下不能进行此操作"


class RuleViolation(DomainError):
    """A business rule of the notice or the form refuses the request (422)."""

    status, code, message = 422, "rule_violation", "申请不符合办理条件"


class PayloadTooLarge(DomainError):
    status, code, message = 413, "too_large", "上传的内容太大"


class UnsupportedMediaType(DomainError):
    """The bytes are not of a type the endpoint takes (judged from the content, not the name)."""

    status, code, message = 415, "unsupported_media_type", "不支持此文件类型"


class ServiceUnavailable(DomainError):
    status, code, message = 503, "service_unavailable", "服务暂时不可用，请稍后再试"


# Chinese wording for the HTTP errors Flask or flask-smorest may raise themselves.
_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "没有找到要查看的内容"),
    405: ("method_not_allowed", "不支持此操作方式"),
    409: ("conflict", "当前状态下不能进行此操作"),
    413: ("too_large", "上传的内容太大"),
    415: ("unsupported_media_type", "请以 JSON 格式提交"),
    422: ("validation_failed", "提交的信息有误，请按提示修改"),
    429: ("too_many_requests", "操作太频繁，请稍后再试"),
}


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into ``{"deceased.id_number": ["…"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            # webargs nests everything under the location ("json", "query"); drop it.
            if not prefix and key in {"json", "query", "form", "headers", "files", "path"}:
                flat.update(flatten_errors(value, ""))
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "_schema"
            flat.update({k: flat.get(k, []) + v for k, v in flatten_errors(value, name).items()})
    elif isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        flat[prefix or "_schema"] = list(errors)
    elif isinstance(errors, list):
        for item in errors:
            for k, v in flatten_errors(item, prefix).items():
                flat[k] = flat.get(k, []) + v
    elif isinstance(errors, str):
        flat[prefix or "_schema"] = [errors]
    return flat


def error_body(code: str, message: str, errors: dict | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or {}}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return jsonify(error_body(err.code, err.message, err.errors)), err.status

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code, message = _HTTP_MESSAGES.get(err.code or 500, ("error", "请求无法处理"))
        message = getattr(err, "chinese", None) or message
        errors = {}
        data = getattr(err, "data", None) or {}
        if isinstance(data, dict) and data.get("messages"):
            errors = flatten_errors(data["messages"])
        response = jsonify(error_body(code, message, errors))
        response.status_code = err.code or 500
        if err.code == 405 and getattr(err, "valid_methods", None):
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        # Log the type only: exception text can carry form values (ID or bank numbers).
        log.error("unhandled error %s", type(err).__name__, exc_info=app.debug)
        return jsonify(error_body("internal_error", "系统繁忙，请稍后再试")), 500
