"""Sign-in endpoints (SPEC §10): platform login, staff login with TOTP, rotation, sign-out."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity import service
from app.identity.auth import BEARER, current_principal, login_required
from app.identity.ratelimit import rate_limited
from schemas.auth import (FamilyTokenSchema, LogoutSchema, PlatformLoginSchema, RefreshSchema, StaffLoginSchema,
                          StaffTokenSchema, TokenSchema, TotpConfirmedSchema, TotpConfirmSchema, TotpEnrolmentSchema)

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


@blp.route("/platform-login")
class PlatformLogin(MethodView):
    @rate_limited("platform_login")
    @blp.arguments(PlatformLoginSchema)
    @blp.response(200, FamilyTokenSchema)
    @blp.alt_response(401, description="登录码无效或已过期")
    @blp.alt_response(429, description="操作太频繁")
    def post(self, body):
        """家属登录：用平台（湘易办/小程序）的一次性登录码换取令牌

        登录码只能用一次，几分钟内有效。返回 access_token（约15分钟）和 refresh_token。
        """
        return service.platform_login(code=body["code"])


@blp.route("/staff-login")
class StaffLogin(MethodView):
    @rate_limited("staff_login")
    @rate_limited("staff_login_account", per="username")
    @blp.arguments(StaffLoginSchema)
    @blp.response(200, StaffTokenSchema)
    @blp.alt_response(401, description="用户名、密码或动态口令不正确；totp_required：请补充动态口令")
    @blp.alt_response(429, description="操作太频繁")
    def post(self, body):
        """工作人员登录：用户名、密码和动态口令（TOTP）换取带角色与范围（窗口、部门、县区）的令牌

        已绑定动态口令的账号必须带 totp_code；只给密码时返回 401，code 为 totp_required。
        """
        return service.staff_login(username=body["username"], password=body["password"],
                                   totp_code=body.get("totp_code"))


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """轮换令牌：refresh_token 只能使用一次，重复使用会使本次登录的全部令牌失效"""
        return service.refresh(refresh_token=body["refresh_token"])


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(LogoutSchema(), required=False)
    @blp.response(204)
    @login_required()
    def post(self, body):
        """退出登录：本次登录的 access_token 和 refresh_token 立即失效（everywhere=true 时退出所有设备）"""
        service.logout(principal=current_principal(), everywhere=bool((body or {}).get("everywhere")))


@blp.route("/totp/enrolment")
class TotpEnrolment(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(201, TotpEnrolmentSchema)
    @login_required(kinds=("staff",))
    def post(self):
        """工作人员绑定动态口令（第一步）：生成密钥，用身份验证器扫描 otpauth_uri"""
        return service.start_totp_enrolment(principal=current_principal())


@blp.route("/totp/enrolment/confirm")
class TotpConfirm(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(TotpConfirmSchema)
    @blp.response(200, TotpConfirmedSchema)
    @login_required(kinds=("staff",))
    def post(self, body):
        """工作人员绑定动态口令（第二步）：输入身份验证器上的6位口令确认；此后登录都需要口令"""
        return service.confirm_totp_enrolment(principal=current_principal(), totp_code=body["totp_code"])
