"""Sign-in endpoints (SPEC §10)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity import service
from schemas.auth import FamilyTokenSchema, PlatformLoginSchema, RefreshSchema, StaffLoginSchema, StaffTokenSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


@blp.route("/platform-login")
class PlatformLogin(MethodView):
    @blp.arguments(PlatformLoginSchema)
    @blp.response(200, FamilyTokenSchema)
    def post(self, body):
        """家属登录：用平台（湘易办/小程序）的一次性登录码换取令牌

        登录码只能用一次，几分钟内有效。返回 access_token（约15分钟）和 refresh_token。
        """
        return service.platform_login(code=body["code"])


@blp.route("/staff-login")
class StaffLogin(MethodView):
    @blp.arguments(StaffLoginSchema)
    @blp.response(200, StaffTokenSchema)
    def post(self, body):
        """工作人员登录：用户名和密码换取带角色与范围（窗口、部门、县区）的令牌"""
        return service.staff_login(username=body["username"], password=body["password"])


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """轮换令牌：refresh_token 只能使用一次，重复使用会使本次登录的全部令牌失效"""
        return service.refresh(refresh_token=body["refresh_token"])
