"""Materials: the checklist, 补正 requests, uploads, originals, the abnormal-death certificate."""
from marshmallow import Schema, fields

from app.materials.checklist import ITEMS, UPLOAD_KINDS
from schemas.common import BaseSchema, Length, OneOf, Regexp, Text
from schemas.output import ShanghaiDateTime


class MaterialItemSchema(Schema):
    code = fields.String(metadata={"description": "材料代码"})
    name = fields.String()
    required = fields.Boolean(metadata={"description": "本申请是否需要"})
    received = fields.Boolean(metadata={"description": "是否已收到"})
    received_at = ShanghaiDateTime(allow_none=True)
    requested = fields.Boolean(metadata={"description": "窗口已请家属补充、尚未收到"})
    how = fields.String(metadata={"description": "如何提交（中文提示）"})
    upload_kind = fields.String(allow_none=True, metadata={"description": "上传此材料时的 kind；不能上传的为空"})
    upload_ids = fields.List(fields.String())


class SupplementRequestSchema(Schema):
    id = fields.Integer()
    materials = fields.List(fields.String())
    note = fields.String(allow_none=True)
    requested_at = ShanghaiDateTime()
    completed_at = ShanghaiDateTime(allow_none=True)


class MaterialsSchema(Schema):
    case_id = fields.String()
    missing = fields.List(fields.String(), metadata={"description": "本申请需要但尚未收到的材料代码"})
    items = fields.List(fields.Nested(MaterialItemSchema))
    open_requests = fields.List(fields.Nested(SupplementRequestSchema))


class SupplementRequestInSchema(BaseSchema):
    materials = fields.List(
        fields.String(validate=OneOf(list(ITEMS))), validate=Length(min=1),
        metadata={"description": "要家属补充的材料代码；不填则为全部可由家属补充的缺项"},
    )
    note = Text(max_length=200, allow_none=True, load_default=None,
                metadata={"description": "给家属的留言（会推送到手机，不要写证件号、账号、电话）"})


class OriginalsSchema(BaseSchema):
    id_card = fields.Boolean(required=True, metadata={"description": "已交回死亡人员身份证原件"})
    hukou_page = fields.Boolean(required=True, metadata={"description": "已交回死亡人员户口页原件"})
    copies_clipped = fields.Boolean(required=True, metadata={"description": "已剪角并退还家属"})


class UploadInSchema(BaseSchema):
    """multipart/form-data: ``kind`` and ``file``."""

    kind = fields.String(required=True, validate=OneOf(list(UPLOAD_KINDS)),
                         metadata={"description": "、".join(UPLOAD_KINDS)})
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "JPEG、PNG 或 PDF（按内容判断），不超过 10 MB"})


class UploadSchema(Schema):
    id = fields.String()
    case_id = fields.String()
    kind = fields.String()
    content_type = fields.String(metadata={"description": "按文件内容判断的类型"})
    size_bytes = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    created_at = ShanghaiDateTime()


class AbnormalDeathCertificateSchema(BaseSchema):
    certificate_number = Text(required=True, max_length=64, validate=Regexp(
        r"^[0-9A-Za-z\-（）()〔〕\[\]第号字\u4e00-\u9fff]{1,64}$", error="证明编号只能包含文字、字母、数字和连接号"),
        metadata={"description": "非正常死亡证明的编号"})
    upload_id = fields.String(validate=Length(max=32), load_default=None, allow_none=True,
                              metadata={"description": "已上传的证明扫描件（kind=death_certificate）"})
