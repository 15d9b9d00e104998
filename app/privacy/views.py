"""Reveal, family export and the audit log."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.privacy import audit, service
from schemas.privacy import AuditEntrySchema, AuditQuerySchema, RevealRequestSchema, RevealSchema

blp = Blueprint("privacy", __name__, url_prefix="/api/v1", description="个人信息：查看完整信息、导出、审计")


@blp.route("/cases/<case_id>/reveal")
class Reveal(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(RevealRequestSchema)
    @blp.response(200, RevealSchema)
    @login_required(kinds=("staff",), roles=("clerk", "department_officer"))
    def post(self, body, case_id):
        """查看完整号码（默认均遮蔽）：仅受理窗口或办理部门，须写明目的；每个字段记入审计日志"""
        return service.reveal(case_id=case_id, principal=current_principal(), fields=body["fields"],
                              purpose=body["purpose"])


@blp.route("/cases/<case_id>/export")
class Export(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, description="逝者在本系统中的信息（JSON）")
    @login_required(kinds=("family",))
    def get(self, case_id):
        """近亲属导出逝者在本系统中的个人信息（个人信息保护法 第49条），记入审计日志"""
        return service.export_for_family(case_id=case_id, principal=current_principal())


@blp.route("/audit")
class Audit(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @login_required(kinds=("staff",), roles=("supervisor", "admin"))
    def get(self, query):
        """审计日志：谁、什么角色、对哪个申请的哪个字段做了什么、何时、从哪里、是否成功"""
        return audit.search(principal=current_principal(), **query)
