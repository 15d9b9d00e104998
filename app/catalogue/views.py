"""The matter catalogue and the eligibility preview."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.catalogue import service
from app.identity.auth import BEARER, login_required
from schemas.catalogue import CatalogueMatterSchema, EligibilitySchema
from schemas.form import ApplicationFormSchema

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1", description="事项目录与可办事项")


@blp.route("/catalogue/matters")
class CatalogueMatters(MethodView):
    @blp.response(200, CatalogueMatterSchema(many=True))
    def get(self):
        """事项目录：名称、办理部门、等待条件、办结时限规则和所需材料"""
        return service.list_matters()


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
