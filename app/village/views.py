"""Village and residents' committees (村/居委会): start the death certificate of a home death."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.village import service
from schemas.village import VillageStartInSchema, VillageStartSchema

blp = Blueprint("village", __name__, url_prefix="/api/v1/village", description="村（居）委会")


@blp.route("/death-certificates")
class DeathCertificates(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(VillageStartInSchema)
    @blp.response(201, VillageStartSchema)
    @blp.alt_response(404, description="没有办理中的该编号申请")
    @blp.alt_response(422, description="非正常死亡、在医疗机构死亡或不在本县（区）")
    @login_required(kinds=("staff",), roles=("village_committee",))
    def post(self, body):
        """发起《居民死亡医学证明（推断）书》开具（在非医疗机构正常死亡的，湘民发〔2022〕57号 二(四)1）

        带 case_reference：为家属已提交的申请发起；带 form（申请表）：代家属填报并发起（逝者已有办理中的申请时直接关联）。
        事项随即推送至本县（区）社区卫生服务机构或乡镇卫生院，由其与家属确认后在线开具。
        """
        return service.start_death_certificate(principal=current_principal(), form=body.get("form"),
                                               case_reference=body.get("case_reference"))
