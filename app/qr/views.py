"""码上办: what a scanned code is, binding to a case, and re-issuing or withdrawing a case's code."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.identity.ratelimit import rate_limited
from app.qr import service
from schemas.cases import BindResultSchema, ScanRequestSchema, ScanResultSchema
from schemas.members import QrLinkSchema

blp = Blueprint("scan", __name__, url_prefix="/api/v1/scan", description="扫码（码上办）")
case_qr_blp = Blueprint("case_qr", __name__, url_prefix="/api/v1/cases", description="申请二维码的更换与停用")


@blp.route("")
class Scan(MethodView):
    @blp.doc(security=BEARER)
    @rate_limited("scan", per="user")
    @rate_limited("scan_ip")
    @blp.arguments(ScanRequestSchema)
    @blp.response(200, ScanResultSchema)
    @blp.alt_response(404, description="二维码无效、已过期或已停用")
    @blp.alt_response(429, description="操作太频繁")
    @login_required(kinds=("family",))
    def post(self, body):
        """扫码预览：是申请码还是窗口办事码；关联前只显示窗口名称和遮蔽的姓名（如 王**）"""
        return service.scan(token=body["token"])


@blp.route("/bind")
class Bind(MethodView):
    @blp.doc(security=BEARER)
    @rate_limited("bind", per="user")
    @blp.arguments(ScanRequestSchema)
    @blp.response(200, BindResultSchema)
    @blp.alt_response(404, description="二维码无效、已过期或已停用")
    @blp.alt_response(429, description="操作太频繁")
    @login_required(kinds=("family",))
    def post(self, body):
        """关联申请：身份证号与申请人一致即关联；其他亲属扫码则申请加入，待申请人同意"""
        return service.bind(token=body["token"], user_id=current_principal().subject)


@case_qr_blp.route("/<case_id>/qrcode/reissue")
class ReissueCaseQr(MethodView):
    @case_qr_blp.doc(security=BEARER)
    @case_qr_blp.response(201, QrLinkSchema)
    @login_required()
    def post(self, case_id):
        """更换申请二维码（申请人或受理窗口）：旧二维码立即失效，已关联的家属不受影响"""
        return service.qr_answer(service.reissue_case_qr(case_id=case_id, principal=current_principal()))


@case_qr_blp.route("/<case_id>/qrcode/revoke")
class RevokeCaseQr(MethodView):
    @case_qr_blp.doc(security=BEARER)
    @case_qr_blp.response(204)
    @login_required()
    def post(self, case_id):
        """停用申请二维码（申请人或受理窗口）：此后扫码无效，需要时可再更换一个新码"""
        service.revoke_case_qr(case_id=case_id, principal=current_principal())
