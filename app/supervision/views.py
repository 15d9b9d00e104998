"""Supervision API (监督考核) for staff with role ``supervisor`` (their county) or ``admin`` (all)."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.supervision import service
from schemas.supervision import (
    OperatorAlertQuerySchema,
    OperatorAlertSchema,
    OverdueMatterSchema,
    PeriodQuerySchema,
    RectificationQuerySchema,
    RectificationSchema,
    StatsSchema,
)

blp = Blueprint("supervision", __name__, url_prefix="/api/v1/supervision", description="监督考核")
SUPERVISORS = {"kinds": ("staff",), "roles": service.SUPERVISION_ROLES}


def _csv(data: bytes, name: str) -> Response:
    return Response(data, mimetype="text/csv", content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@blp.route("/stats")
class Stats(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, StatsSchema)
    @login_required(**SUPERVISORS)
    def get(self, query):
        """按部门和区县统计：受理数、办结数、按时办结数、超期数、办理时长中位数（工作日）"""
        return service.department_stats(principal=current_principal(), **query)


@blp.route("/stats.csv")
class StatsCsv(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, description="CSV（UTF-8，带 BOM，Excel 可直接打开）", content_type="text/csv")
    @login_required(**SUPERVISORS)
    def get(self, query):
        """导出统计表 CSV，供监督考核使用"""
        return _csv(service.stats_csv(principal=current_principal(), **query), "supervision-stats.csv")


@blp.route("/overdue")
class Overdue(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, OverdueMatterSchema(many=True))
    @login_required(**SUPERVISORS)
    def get(self):
        """超期未办结的事项，超期最久的在前"""
        return service.overdue_matters(principal=current_principal())


@blp.route("/overdue.csv")
class OverdueCsv(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, description="CSV（UTF-8，带 BOM）", content_type="text/csv")
    @login_required(**SUPERVISORS)
    def get(self):
        """导出超期事项清单 CSV"""
        return _csv(service.overdue_csv(principal=current_principal()), "supervision-overdue.csv")


@blp.route("/rectifications")
class Rectifications(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(RectificationQuerySchema, location="query")
    @blp.response(200, RectificationSchema(many=True))
    @login_required(**SUPERVISORS)
    def get(self, query):
        """差评整改事项（不满意、非常不满意），整改时限15个工作日，到期早的在前"""
        return service.rectifications(principal=current_principal(), status=query["status"])


@blp.route("/operator-alerts")
class OperatorAlerts(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(OperatorAlertQuerySchema, location="query")
    @blp.response(200, OperatorAlertSchema(many=True))
    @login_required(**SUPERVISORS)
    def get(self, query):
        """运维告警，如工作日历缺少下一年节假日安排导致办结时限待定"""
        return service.operator_alerts(principal=current_principal(), include_resolved=query["include_resolved"])
