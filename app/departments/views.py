"""Signed callbacks from department systems."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.departments import service
from schemas.departments import CallbackResultSchema, CallbackSchema

blp = Blueprint("departments", __name__, url_prefix="/api/v1/departments", description="部门回调")


@blp.route("/<department>/callbacks")
class Callbacks(MethodView):
    @blp.arguments(CallbackSchema)
    @blp.response(200, CallbackResultSchema)
    @blp.alt_response(401, description="签名、时间戳或投递编号不正确")
    def post(self, report, department):
        """部门报告事项状态（accepted / done / rejected / not_applicable）

        签名：HMAC-SHA256，签名串为 `{X-Delivery-Id}.{X-Timestamp}.{原始请求体}`，
        头部 `X-Signature: v1=<hex>`（轮换密钥期间可带多个，逗号分隔）；时间戳误差不超过300秒；
        重复投递（同一 X-Delivery-Id）不改变状态，仍返回 200。
        """
        return service.receive_callback(
            department=department, headers=request.headers, raw_body=request.get_data(cache=True), report=report
        )
