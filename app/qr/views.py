"""码上办: what a scanned code is, and binding to a case."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.qr import service
from schemas.cases import BindResultSchema, ScanRequestSchema, ScanResultSchema

blp = Blueprint("scan", __name__, url_prefix="/api/v1/scan", description="扫码（码上办）")


@blp.route("")
class Scan(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ScanRequestSchema)
    @blp.response(200, ScanResultSchema)
    @login_required(kinds=("family",))
    def post(self, body):
        """扫码预览：是申请码还是窗口办事码；关联前只显示窗口名称和遮蔽的姓名（如 王**）"""
        return service.scan(token=body["token"])


@blp.route("/bind")
class Bind(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ScanRequestSchema)
    @blp.response(200, BindResultSchema)
    @login_required(kinds=("family",))
    def post(self, body):
        """关联申请：身份证号与申请人一致即关联；其他亲属扫码则申请加入，待申请人同意"""
        return service.bind(token=body["token"], user_id=current_principal().subject)
