"""The family bound to a case, and a case QR code's link (SPEC §6)."""
from marshmallow import Schema, fields

from schemas.output import ShanghaiDateTime

MEMBER_STATUS_NAMES = {"active": "已关联", "pending": "待申请人同意", "refused": "申请人未同意", "removed": "已移除"}


class MemberSchema(Schema):
    id = fields.Integer()
    role = fields.String(metadata={"description": "applicant（申请人）| member（家属）"})
    status = fields.String(metadata={"description": "active | pending | refused | removed"})
    status_name = fields.Function(lambda m: MEMBER_STATUS_NAMES.get(m["status"], m["status"]))
    name = fields.String(metadata={"description": "申请人看到全名，其他家属看到遮蔽的姓名（如 王*）"})
    phone = fields.String(allow_none=True, metadata={"description": "遮蔽的手机号，只有申请人看到"})
    is_me = fields.Boolean()
    created_at = ShanghaiDateTime()


class QrLinkSchema(Schema):
    link = fields.String(metadata={"description": "二维码内容：小程序页面链接，scene 为令牌"})
    token = fields.String(metadata={"description": "令牌（不超过32个字符）"})
    expires_at = ShanghaiDateTime(allow_none=True)
