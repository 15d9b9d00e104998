"""好差评: the family rates a finished matter."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.supervision import ratings
from schemas.supervision import RatingRequestSchema, RatingSchema

blp = Blueprint("ratings", __name__, url_prefix="/api/v1", description="好差评")


@blp.route("/cases/<case_id>/matters/<matter_id>/rating")
class MatterRating(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(RatingRequestSchema)
    @blp.response(201, RatingSchema)
    @blp.alt_response(409, description="事项尚未办结（matter_not_finished），或已评价过（already_rated）")
    @login_required(kinds=("family",))
    def post(self, body, case_id, matter_id):
        """评价已办结的事项：5 非常满意 … 1 非常不满意，可附 200 字以内的意见；每人每个事项评价一次。
        不满意及以下转监督部门督促整改（15个工作日内）。"""
        return ratings.rate_matter(case_id=case_id, matter_id=matter_id, level=body["level"],
                                   comment=body["comment"], principal=current_principal())
