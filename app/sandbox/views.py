"""Sandbox-only endpoints: the platform's login codes and the departments' intake."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.ratelimit import rate_limited
from app.sandbox import platform, service
from schemas.auth import LoginCodeRequestSchema, LoginCodeSchema, PlatformIdentitySchema, PlatformTokenRequestSchema
from schemas.sandbox import ScenarioSchema

blp = Blueprint("sandbox", __name__, url_prefix="/sandbox", description="沙箱（仅开发、测试和演示环境）")


@blp.route("/platform/login-codes")
class LoginCodes(MethodView):
    @rate_limited("login_code")
    @blp.arguments(LoginCodeRequestSchema)
    @blp.response(201, LoginCodeSchema)
    def post(self, body):
        """沙箱平台：模拟平台实名核验后签发一次性登录码"""
        return service.issue_login_code(**body)


@blp.route("/platform/oauth/token")
class PlatformToken(MethodView):
    @blp.arguments(PlatformTokenRequestSchema)
    @blp.response(200, PlatformIdentitySchema)
    @blp.alt_response(400, description="登录码无效、已用过或已过期（invalid_grant）")
    @blp.alt_response(401, description="客户端凭据（HTTP Basic）不正确")
    def post(self, body):
        """沙箱平台：用一次性登录码换取实名身份（本服务后端调用，客户端凭据放在 HTTP Basic 中）"""
        auth = request.authorization
        return platform.exchange_code(code=body["code"], client_id=auth.username if auth else None,
                                      client_secret=auth.password if auth else None)


@blp.route("/departments/<department>/matters")
class DepartmentIntake(MethodView):
    @blp.response(202, description="已接收")
    def post(self, department):
        """沙箱部门：接收推送的事项（验签，按 Idempotency-Key 只办理一次），随后回调报告进度"""
        receipt, status = service.receive_submission(
            department=department, headers=request.headers, raw_body=request.get_data(cache=True)
        )
        return receipt, status


@blp.route("/departments/<department>/matters/<idempotency_key>")
class DepartmentSubmissionStatus(MethodView):
    @blp.response(200, description="该次提交已收到")
    @blp.alt_response(404, description="没有该次提交")
    def get(self, department, idempotency_key):
        """沙箱部门：按 Idempotency-Key 查询是否已收到（发送方超时后先查询再重发）"""
        return service.submission_status(department=department, idempotency_key=idempotency_key,
                                         headers=request.headers)


@blp.route("/departments/<department>/scenarios")
class Scenarios(MethodView):
    @blp.arguments(ScenarioSchema)
    @blp.response(201, ScenarioSchema)
    def post(self, body, department):
        """沙箱部门：设定故障或业务情形（停机、拒收、退回、无需办理、需退款、重复或乱序回调）"""
        return service.add_scenario(department=department, **body)


@blp.route("/scenarios")
class AllScenarios(MethodView):
    @blp.response(204)
    def delete(self):
        """沙箱部门：清除全部情形设定"""
        service.clear_scenarios()
