"""The matter catalogue and the eligibility preview."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.catalogue import service
from app.identity.auth import BEARER, login_required
from schemas.catalogue import CatalogueMatterSchema, DeadlineQuerySchema, DeadlineSchema, EligibilitySchema
from schemas.form import ApplicationFormSchema

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1", description="事项目录与可办事项")


@blp.route("/catalogue/matters")
class CatalogueMatters(MethodView):
    @blp.response(200, CatalogueMatterSchema(many=True))
    def get(self):
        """事项目录：名称、办理部门、等待条件、办结时限规则和所需材料"""
        return service.list_matters()


@blp.route("/catalogue/matters/<code>/deadline")
class CatalogueMatterDeadline(MethodView):
    @blp.arguments(DeadlineQuerySchema, location="query")
    @blp.response(200, DeadlineSchema)
    @blp.alt_response(404, description="事项目录中没有该事项")
    def get(self, query, code):
        """预计办结时限：时限从 start 起算时的办结时间（app 显示“预计 X 前办结”）

        工作日按国务院办公厅节假日安排（含调休上班日）计算，起算当日不计。节假日安排尚未公布的年份返回
        state=pending_calendar、due_at 为空，而不是报错。
        """
        return service.deadline_for(code=code, started_at=query["start"])


@blp.route("/eligibility")
class Eligibility(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ApplicationFormSchema(partial=("requested_matters", "commitment")))
    @blp.response(200, EligibilitySchema)
    @login_required()
    def post(self, form):
        """提交前预判：按申请表判断哪些事项可以申请、哪些自动办理、哪些不适用及原因

        申请表只需显示 status 为 applies 的事项供勾选（附件2“仅显示申请的事项”）。
        """
        return service.evaluate(form)
