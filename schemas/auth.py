"""Sign-in requests and token answers."""
from marshmallow import Schema, fields

from schemas.common import BaseSchema, Equal, Length, Regexp


class PlatformLoginSchema(BaseSchema):
    code = fields.String(required=True, validate=Length(min=1, max=200),
                         metadata={"description": "平台（湘易办/小程序）返回的一次性登录码"})


class StaffLoginSchema(BaseSchema):
    username = fields.String(required=True, validate=Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=Length(min=1, max=200))
    totp_code = fields.String(load_only=True, validate=Regexp(r"^\d{6}$", error="动态口令应为6位数字"),
                              metadata={"description": "身份验证器上的6位动态口令（已绑定的账号必填）"})


class RefreshSchema(BaseSchema):
    refresh_token = fields.String(required=True, validate=Length(min=1, max=2000))


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
    name = fields.String(required=True, validate=Length(min=1, max=50))
    id_number = fields.String(required=True, validate=Length(equal=18, error="身份证号码应为18位"))
    phone = fields.String(required=True, validate=Regexp(r"^1[3-9]\d{9}$", error="请填写11位手机号码"))


class LoginCodeSchema(Schema):
    code = fields.String()
    expires_in = fields.Integer()


class LogoutSchema(BaseSchema):
    everywhere = fields.Boolean(load_default=False,
                                metadata={"description": "true：退出本账号在所有设备上的登录"})


class TotpEnrolmentSchema(Schema):
    secret = fields.String(metadata={"description": "动态口令密钥（base32），只显示这一次"})
    otpauth_uri = fields.String(metadata={"description": "身份验证器扫码用的 otpauth:// 链接"})


class TotpConfirmSchema(BaseSchema):
    totp_code = fields.String(required=True, validate=Regexp(r"^\d{6}$", error="动态口令应为6位数字"))


class TotpConfirmedSchema(Schema):
    totp_enrolled = fields.Boolean()


class PlatformTokenRequestSchema(BaseSchema):
    grant_type = fields.String(required=True, validate=Equal("authorization_code"))
    code = fields.String(required=True, validate=Length(min=1, max=200))


class PlatformIdentitySchema(Schema):
    name = fields.String()
    id_number = fields.String()
    phone = fields.String()
