"""Cases: create, read, timeline, QR code, materials; the family's own case list."""
from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app.cases import answer_cache, letter, live, service
from app.clock import shanghai
from app.identity.auth import BEARER, current_principal, login_required
from app.materials import service as materials_service
from app.qr import service as qr
from schemas.cases import ScanRequestSchema, CaseSchema, CaseSummarySchema, EventSchema, MaterialRequestSchema, QrQuerySchema
from schemas.members import QrLinkSchema
from schemas.materials import MaterialsSchema
from schemas.form import ApplicationFormSchema
from schemas.notify import CaseLetterSchema, EventsQuerySchema

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="申请（案件）")


class CaseCreateSchema(ApplicationFormSchema):
    intake_token = fields.String(
        validate=validate.Length(max=32),
        metadata={"description": "家属扫窗口办事码后提交时带上，申请即关联该窗口"},
    )
    materials_received = fields.List(
        fields.String(), load_default=list,
        metadata={"description": "窗口已收到的材料（仅工作人员）：deceased_id_card_clipped_scan、"
                                 "hukou_page_clipped_scan、originals_handed_in、death_certificate、"
                                 "applicant_id_card、social_security_card"},
    )
    paper_form_received = fields.Boolean(
        load_default=False,
        metadata={"description": "窗口已收到申请人签字的纸质申请表（线下办理，仅工作人员）"},
    )


@blp.route("/cases")
class Cases(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseSchema)
    @blp.alt_response(422, description="申请表有误或所申请的事项不符合条件")
    @blp.alt_response(409, description="该逝者已有办理中的申请")
    @login_required(kinds=("family", "staff"))
    def post(self, body):
        """提交申请：窗口工作人员代填即受理并生成二维码；家属在手机上提交后自动审核受理"""
        materials = body.pop("materials_received", [])
        if body.pop("paper_form_received", False):
            materials = [*materials, "application_form"]
        intake_token = body.pop("intake_token", None)
        return service.create_case(form=body, principal=current_principal(), materials_received=materials,
                                   intake_token=intake_token)


@blp.route("/cases/<case_id>")
class CaseDetail(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, CaseSchema, headers={"ETag": {"description": "带回 If-None-Match，未变化时返回 304",
                                                      "schema": {"type": "string"}}})
    @blp.alt_response(304, description="自上次（If-None-Match 所带 ETag）以来没有变化")
    @login_required(prefetch=answer_cache.prefetch_keys)  # the kept answer comes with the revocation check
    def get(self, case_id):
        """查看申请：状态，各事项的办理部门、状态、时限和结果（敏感号码已遮蔽）。
        带上次的 ETag 作 If-None-Match 请求，没有变化时返回 304。"""
        body, etag = live.case_answer(case_id=case_id, principal=current_principal())
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if request.if_none_match.contains_weak(etag.strip('"')):
            return Response(status=304, headers=headers)
        # The bytes are CaseSchema's (built, or kept while the case is unchanged, by app.cases.live).
        return Response(body, status=200, headers=headers, mimetype="application/json")


@blp.route("/cases/<case_id>/events")
class CaseEvents(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(EventsQuerySchema, location="query")
    @blp.response(200, EventSchema(many=True))
    @login_required()
    def get(self, query, case_id):
        """新的办理进度（长轮询）：返回编号大于 after 的事件；暂时没有就最多等待 wait 秒（≤ 30），有新事件立即返回"""
        return live.events_after(case_id=case_id, principal=current_principal(), after=query["after"],
                                 wait=query["wait"])


@blp.route("/cases/<case_id>/summary")
class CaseLetter(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, CaseLetterSchema)
    @login_required()
    def get(self, case_id):
        """办结告知：各部门确认了什么——停发的待遇（停发日期）、注销的证件（编号）、发放的款项（金额，遮蔽后的账号）"""
        return letter.case_letter(case_id=case_id, principal=current_principal())


@blp.route("/cases/<case_id>/timeline")
class CaseTimeline(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, EventSchema(many=True))
    @login_required()
    def get(self, case_id):
        """办理进度时间线，按时间先后排列"""
        return service.timeline(case_id=case_id, principal=current_principal())


@blp.route("/cases/<case_id>/materials")
class CaseMaterials(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(MaterialRequestSchema)
    @blp.response(200, CaseSchema)
    @login_required(kinds=("staff",), roles=("clerk",))
    def post(self, body, case_id):
        """窗口登记收到的材料（如交回身份证和户口页原件，附件2 注4），满足条件的事项随即推送"""
        return service.record_material(case_id=case_id, kind=body["kind"], principal=current_principal())

    @blp.doc(security=BEARER)
    @blp.response(200, MaterialsSchema)
    @login_required()
    def get(self, case_id):
        """材料清单：本申请需要哪些材料、哪些已收到、哪些窗口已请家属补充，以及如何补充"""
        return materials_service.materials_of_case(case_id=case_id, principal=current_principal())


@blp.route("/cases/<case_id>/qrcode")
class CaseQrCode(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(QrQuerySchema, location="query")
    @blp.response(200, description="二维码图片（PNG）", content_type="image/png")
    @blp.alt_response(200, success=True, description="二维码图片（?format=svg）", content_type="image/svg+xml")
    @blp.alt_response(200, success=True, schema=QrLinkSchema, description="二维码链接（?format=json）")
    @login_required()
    def get(self, query, case_id):
        """申请二维码：家属用湘易办扫码即可关联并查看进度（?format=png、svg，或 json 取链接本身）

        只有申请人和受理窗口可以取得二维码。
        """
        row = qr.case_qr(case_id=case_id, principal=current_principal())
        if query["format"] == "json":
            return jsonify({"link": qr.link_for(row), "token": qr.token_of(row),
                            "expires_at": shanghai(row.expires_at).isoformat() if row.expires_at else None})
        image, mimetype = qr.render(qr.link_for(row), fmt=query["format"])
        return Response(image, mimetype=mimetype, headers={"Cache-Control": "private, no-store"})


@blp.route("/me/cases")
class MyCases(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, CaseSummarySchema(many=True))
    @login_required(kinds=("family",))
    def get(self):
        """我的申请"""
        return service.cases_of_user(user_id=current_principal().subject)


@blp.route("/windows/<window_id>/qrcode")
class WindowQrCode(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(QrQuerySchema, location="query")
    @blp.response(200, description="窗口办事码图片（PNG）", content_type="image/png")
    @blp.alt_response(200, success=True, description="窗口办事码图片（?format=svg）", content_type="image/svg+xml")
    @blp.alt_response(200, success=True, schema=QrLinkSchema, description="窗口办事码链接（?format=json）")
    @login_required(kinds=("staff",), roles=("clerk",))
    def get(self, query, window_id):
        """窗口办事码：家属扫码即可新建申请并关联本窗口（只限本窗口工作人员）"""
        row = service.window_intake_token(window_id=window_id, principal=current_principal())
        if query["format"] == "json":
            return jsonify({"link": qr.link_for(row), "token": qr.token_of(row), "expires_at": None})
        image, mimetype = qr.render(qr.link_for(row), fmt=query["format"])
        return Response(image, mimetype=mimetype, headers={"Cache-Control": "private, max-age=3600"})


@blp.route("/windows/<window_id>/claims")
class WindowClaims(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ScanRequestSchema)
    @blp.response(200, CaseSchema)
    @login_required(kinds=("staff",), roles=("clerk",))
    def post(self, body, window_id):
        """窗口扫家属出示的申请二维码：手机上提交、尚无受理窗口的申请关联到本窗口（便于交回原件）"""
        return service.claim_for_window(window_id=window_id, token=body["token"], principal=current_principal())
