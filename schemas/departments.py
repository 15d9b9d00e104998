"""A department's status report (callback body)."""
from marshmallow import fields

from schemas.common import BaseSchema, Length, OneOf, Range, Regexp, ShanghaiDateTime, Text

#: One payout above 1亿元 (10^10 fen) is a reporting error, not a benefit.
MAX_FEN = 10**10


class OutcomeInSchema(BaseSchema):
    certificate_reference = Text(validate=Length(max=64))
    payout_amount_fen = fields.Integer(strict=True, validate=Range(min=0, max=MAX_FEN),
                                       metadata={"description": "发放金额，整数，单位：分"})
    payout_account = fields.String(validate=Regexp(r"\d{8,30}", error="账号应为8到30位数字"),
                                   metadata={"description": "收款账号：须为逝者本人银行Ⅰ类账户或社保卡账户"})
    effective_date = fields.Date(metadata={"description": "生效日期，如 2026-02-01"})
    note = Text(validate=Length(max=200))
    refund_required_fen = fields.Integer(strict=True, validate=Range(min=0, max=MAX_FEN),
                                         metadata={"description": "医保个人账户多划拨、需退回的金额，单位：分（附件2 注2）"})


class EventsInSchema(BaseSchema):
    cremated_at = ShanghaiDateTime(metadata={"description": "火化时间（带时区的 ISO 8601），起算4小时时限"})
    refund_settled = fields.Boolean(truthy={True}, falsy={False}, metadata={"description": "true：多划拨金额已退回医保部门"})


class CallbackSchema(BaseSchema):
    matter_id = fields.String(required=True, validate=Length(min=1, max=32))
    status = fields.String(required=True, validate=OneOf(["accepted", "done", "rejected", "not_applicable"]))
    outcome = fields.Nested(OutcomeInSchema)
    reason = Text(validate=Length(min=2, max=300), metadata={"description": "退回或无需办理的原因，家属据此处理"})
    events = fields.Nested(EventsInSchema)


class CallbackResultSchema(BaseSchema):
    applied = fields.Boolean()
    duplicate = fields.Boolean()
