"""Sandbox-only endpoints: the platform's login codes and the departments' intake."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.sandbox import service
from schemas.auth import LoginCodeRequestSchema, LoginCodeSchema

blp = Blueprint("sandbox", __name__, url_prefix="/sandbox", description="沙箱（仅开发、测试和演示环境）")


@blp.route("/platform/login-codes")
class LoginCodes(MethodView):
    @blp.arguments(LoginCodeRequestSchema)
    @blp.response(201, LoginCodeSchema)
    def post(self, body):
        """沙箱平台：模拟平台实名核验后签发一次性登录码"""
        return service.issue_login_code(**body)


@blp.route("/departments/<department>/matters")
class DepartmentIntake(MethodView):
    @blp.response(202, description="已接收")
    def post(self, department):
        """沙箱部门：接收推送的事项（验签，按 Idempotency-Key 只办理一次），随后回调报告进度"""
        receipt, status = service.receive_submission(
            department=department, headers=request.headers, raw_body=request.get_data(cache=True)
        )
        return receipt, status
