"""Sign-in requests and token answers."""
from marshmallow import Schema, fields, validate

from schemas.common import BaseSchema


class PlatformLoginSchema(BaseSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "平台（湘易办/小程序）返回的一次性登录码"})


class StaffLoginSchema(BaseSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class RefreshSchema(BaseSchema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TokenSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "access_token 有效秒数"})


class FamilyTokenSchema(TokenSchema):
    user = fields.Dict()


class StaffTokenSchema(TokenSchema):
    staff = fields.Dict()


class LoginCodeRequestSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    id_number = fields.String(required=True, validate=validate.Length(equal=18, error="身份证号码应为18位"))
    phone = fields.String(required=True, validate=validate.Regexp(r"^1[3-9]\d{9}$", error="请填写11位手机号码"))


class LoginCodeSchema(Schema):
    code = fields.String()
    expires_in = fields.Integer()
