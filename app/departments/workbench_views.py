"""Department workbench and dead-letter endpoints (staff)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.departments import workbench
from app.identity.auth import BEARER, current_principal, login_required
from schemas.workbench import (DeadLetterSchema, WorkbenchListQuerySchema, WorkbenchMatterSchema,
                               WorkbenchReportSchema)

blp = Blueprint("workbench", __name__, url_prefix="/api/v1", description="部门工作台与推送失败处理")


@blp.route("/workbench/matters")
class WorkbenchMatters(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(WorkbenchListQuerySchema, location="query")
    @blp.response(200, WorkbenchMatterSchema(many=True))
    @login_required(kinds=("staff",), roles=("department_officer",))
    def get(self, query):
        """本部门、本辖区待办事项（默认：已推送和已受理），最早推送的在前"""
        return workbench.list_matters(principal=current_principal(), status=query.get("status"))


@blp.route("/workbench/matters/<matter_id>/report")
class WorkbenchReport(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(WorkbenchReportSchema)
    @blp.response(200, WorkbenchMatterSchema)
    @login_required(kinds=("staff",), roles=("department_officer",))
    def post(self, body, matter_id):
        """受理（accepted）、办结（done，附结果）、退回（rejected，须写明家属可据以处理的原因）或无需办理"""
        return workbench.report(matter_id=matter_id, principal=current_principal(), **body)


@blp.route("/admin/dead-letters")
class DeadLetters(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, DeadLetterSchema(many=True))
    @login_required(kinds=("staff",), roles=("admin", "supervisor"))
    def get(self):
        """推送失败的事项（死信），附部门返回的原因"""
        return workbench.dead_letters(principal=current_principal())


@blp.route("/admin/matters/<matter_id>/redrive")
class Redrive(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, DeadLetterSchema)
    @login_required(kinds=("staff",), roles=("admin",))
    def post(self, matter_id):
        """重新推送一个推送失败的事项（同一次办理沿用同一 Idempotency-Key，部门不会重复办理）"""
        return workbench.redrive(matter_id=matter_id, principal=current_principal())
