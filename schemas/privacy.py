"""Reveal requests and audit rows."""
from marshmallow import Schema, fields

from app.privacy.service import REVEALABLE
from schemas.common import BaseSchema, Length, OneOf, Text
from schemas.output import ShanghaiDateTime



class RevealRequestSchema(BaseSchema):
    # Checked by the service after the caller's scope, so a stranger learns nothing from a 422.
    fields_ = fields.List(fields.String(validate=Length(max=64)), data_key="fields", attribute="fields",
                          load_default=list, validate=Length(max=len(REVEALABLE)),
                          metadata={"description": "要查看的字段：" + "、".join(REVEALABLE)})
    purpose = fields.String(load_default="", validate=Length(max=200),
                            metadata={"description": "查看目的（至少4个字），如“核对纸质申请表”；会记入审计日志"})


class RevealSchema(Schema):
    fields_ = fields.Dict(data_key="fields", attribute="fields")
    purpose = fields.String()


class AuditQuerySchema(BaseSchema):
    case_id = fields.String(validate=Length(max=32))
    actor = fields.String(validate=Length(max=64))
    action = fields.String(validate=OneOf(["read", "reveal", "change", "export", "purge"]))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = ShanghaiDateTime()
    actor = fields.String()
    role = fields.String()
    action = fields.String()
    case_id = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    remote_addr = fields.String(allow_none=True)
    success = fields.Boolean()
