"""补正: correct a case after a rejection, or send a rejected matter again."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.cases import corrections
from app.identity.auth import BEARER, current_principal, login_required
from schemas.cases import CaseSchema, CorrectionSchema

blp = Blueprint("corrections", __name__, url_prefix="/api/v1/cases", description="补正与重新提交")


@blp.route("/<case_id>/corrections")
class Corrections(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(CorrectionSchema)
    @blp.response(200, CaseSchema)
    @login_required()
    def post(self, changes, case_id):
        """更正申请信息（逝者银行Ⅰ类账户、社保卡账户，申请人电话、地址），被退回的事项随即重新提交

        只有申请人本人或受理窗口可以更正；更正后的申请表会按全部规则重新核验。
        """
        return corrections.correct_case(case_id=case_id, principal=current_principal(), changes=changes)


@blp.route("/<case_id>/matters/<matter_id>/resubmit")
class Resubmit(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, CaseSchema)
    @login_required()
    def post(self, case_id, matter_id):
        """重新提交被退回的事项（如公积金贷款已结清、账户已解冻后，附件2 注3）"""
        return corrections.resubmit(case_id=case_id, matter_id=matter_id, principal=current_principal())
