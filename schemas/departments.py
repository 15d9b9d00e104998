"""A department's status report (callback body)."""
from marshmallow import fields, validate

from schemas.common import BaseSchema


class OutcomeInSchema(BaseSchema):
    certificate_reference = fields.String(validate=validate.Length(max=64))
    payout_amount_fen = fields.Integer(validate=validate.Range(min=0), metadata={"description": "单位：分"})
    payout_account = fields.String(validate=validate.Regexp(r"^\d{8,30}$", error="账号应为数字"))
    effective_date = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="日期格式应如 2026-02-01"))
    note = fields.String(validate=validate.Length(max=200))


class CallbackSchema(BaseSchema):
    matter_id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "done", "rejected", "not_applicable"]))
    outcome = fields.Nested(OutcomeInSchema)
    reason = fields.String(validate=validate.Length(max=300))
    events = fields.Dict(keys=fields.String(validate=validate.OneOf(["cremated_at"])), values=fields.String())


class CallbackResultSchema(BaseSchema):
    applied = fields.Boolean()
    duplicate = fields.Boolean()
