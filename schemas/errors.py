"""The one error shape of SPEC §10, as the OpenAPI document describes it."""
from marshmallow import Schema, fields


class ErrorSchema(Schema):
    code = fields.String(metadata={"description": "机器可读的错误代码，如 validation_failed"})
    message = fields.String(metadata={"description": "给用户看的中文说明"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "按字段（点分路径）列出的中文错误"})
