"""Schemas for telling the family and the live case view: subscriptions, devices, deliveries,
long-poll query and the completion letter. Times are Asia/Shanghai; money in fen (分)."""
from marshmallow import Schema, fields

from app.http_guards import MAX_INT_ID
from schemas.common import BaseSchema, Length, OneOf, Range
from schemas.output import ShanghaiDateTime


class EventsQuerySchema(BaseSchema):
    after = fields.Integer(load_default=0, validate=Range(min=0, max=MAX_INT_ID, error="应为 0 到 {max} 之间的事件编号"),
                           metadata={"description": "只返回编号大于此值的事件（上次收到的最后一个事件编号）"})
    wait = fields.Float(load_default=0, validate=Range(min=0, max=30, error="等待秒数应在 0 到 30 之间"),
                        metadata={"description": "没有新事件时最多等待的秒数（0–30）"})


class ConsentRequestSchema(BaseSchema):
    template_id = fields.String(required=True, validate=Length(min=1, max=32),
                                metadata={"description": "用户在订阅弹窗中同意的模板：progress、action 或 completed"})


class SubscriptionSchema(Schema):
    template_id = fields.String()
    platform_template_id = fields.String(metadata={"description": "调用 wx.requestSubscribeMessage 时使用的模板编号"})
    name = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields")
    available = fields.Integer(metadata={"description": "尚未使用的一次性订阅次数（每次同意可发一条）"})


class DeviceRequestSchema(BaseSchema):
    push_token = fields.String(required=True, validate=Length(min=8, max=200),
                               metadata={"description": "湘易办 App 的推送令牌"})


class DeviceSchema(Schema):
    id = fields.Integer()
    registered_at = ShanghaiDateTime(attribute="created_at")


class DeliveryQuerySchema(BaseSchema):
    state = fields.String(load_default="failed", validate=OneOf(["failed", "pending", "sending", "sent"]))


class StaffDeliverySchema(Schema):
    id = fields.Integer()
    case_id = fields.String()
    case_reference = fields.String()
    channel = fields.String(metadata={"description": "app_push、mp_subscribe 或 sms"})
    state = fields.String()
    kind = fields.String(metadata={"description": "事件类型"})
    title = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    recipient = fields.String(metadata={"description": "收件家属（姓名已遮蔽）"})
    fallback = fields.Dict(allow_none=True, metadata={"description": "改用短信补发的记录"})
    created_at = ShanghaiDateTime()
    updated_at = ShanghaiDateTime()


class ConfirmationSchema(Schema):
    matter_id = fields.String()
    matter_code = fields.String()
    matter_name = fields.String()
    kind = fields.String(metadata={"description": "certificate_issued 已出具证明 | document_cancelled 证件已注销 | "
                                                  "payment_stopped 待遇已停发 | payout 款项已发放 | confirmed 已办结 | "
                                                  "not_applicable 无需办理 | in_progress 办理中"})
    status = fields.String()
    finished_at = ShanghaiDateTime(allow_none=True)
    certificate_reference = fields.String(allow_none=True)
    effective_date = fields.Date(allow_none=True, metadata={"description": "停发自该日起"})
    amount_fen = fields.Integer(allow_none=True, metadata={"description": "发放金额，单位：分（仅申请人和工作人员可见）"})
    amount_yuan = fields.String(allow_none=True, metadata={"description": "发放金额，单位：元，如 1,234.56"})
    currency = fields.String(allow_none=True)
    account = fields.String(allow_none=True, metadata={"description": "收款账号（已遮蔽）"})
    reason = fields.String(allow_none=True)
    statement = fields.String(metadata={"description": "一句话说明，可直接展示"})


class DepartmentConfirmationsSchema(Schema):
    department = fields.String()
    department_name = fields.String()
    confirmations = fields.List(fields.Nested(ConfirmationSchema))


class CaseLetterSchema(Schema):
    case_id = fields.String()
    reference = fields.String()
    status = fields.String()
    completed = fields.Boolean(metadata={"description": "是否全部事项已办结"})
    completed_at = ShanghaiDateTime(allow_none=True)
    deceased_name = fields.String()
    text = fields.String(metadata={"description": "告知书正文"})
    departments = fields.List(fields.Nested(DepartmentConfirmationsSchema))
    paid_total_fen = fields.Integer(allow_none=True)
    paid_total_yuan = fields.String(allow_none=True)
