"""Materials endpoints: uploads and their download, 补正 requests, originals handed in, the
abnormal-death certificate, and the printed application form."""
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from app.identity.auth import BEARER, current_principal, login_required
from app.materials import service
from schemas.cases import CaseSchema
from schemas.materials import (
    AbnormalDeathCertificateSchema, MaterialsSchema, OriginalsSchema, SupplementRequestInSchema,
    SupplementRequestSchema, UploadInSchema, UploadSchema,
)


class _MultipartParser(FlaskParser):
    """The ``files`` location reads the whole multipart body, form fields and files together,
    so one schema loads (and documents) ``kind`` and ``file``."""

    def load_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()


blp = _Blueprint("materials", __name__, url_prefix="/api/v1/cases", description="材料、上传与打印申请表")
WINDOW = ("clerk", "village_committee")
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@blp.route("/<case_id>/uploads")
class Uploads(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(UploadInSchema, location="files")
    @blp.response(201, UploadSchema)
    @blp.alt_response(413, description="文件超过大小上限")
    @blp.alt_response(415, description="不是 JPEG、PNG 或 PDF（按内容判断）")
    @blp.alt_response(422, description="空文件、损坏、像素过多、加密的 PDF")
    @login_required(kinds=("family", "staff"), roles=WINDOW)
    def post(self, body, case_id):
        """上传材料（multipart/form-data：kind 和 file）

        kind：deceased_id_card_clipped（已剪角的死亡人员身份证）、hukou_page_clipped（已剪角的户口页）、
        applicant_id_card（申请人身份证）、death_certificate（死亡证明）、social_security_card（社保卡）。
        只接受 JPEG、PNG、PDF，类型按文件内容判断；上传剪角的身份证和户口页扫描件后，等待这些材料的事项随即推送。
        """
        data = body["file"].stream.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
        return service.store_upload(case_id=case_id, principal=current_principal(), kind=body["kind"], data=data)

    @blp.doc(security=BEARER)
    @blp.response(200, UploadSchema(many=True))
    @login_required()
    def get(self, case_id):
        """已上传的材料（只含类型、大小和时间，文件本身另行下载）"""
        return service.list_uploads(case_id=case_id, principal=current_principal())


@blp.route("/<case_id>/uploads/<upload_id>")
class UploadFile(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, description="文件内容（JPEG 图片）", content_type="image/jpeg")
    @blp.alt_response(200, success=True, description="文件内容（PNG 图片）", content_type="image/png")
    @blp.alt_response(200, success=True, description="文件内容（PDF）", content_type="application/pdf")
    @login_required()
    def get(self, case_id, upload_id):
        """下载已上传的材料（只限能查看该申请的人；不缓存）"""
        upload, data = service.read_upload(case_id=case_id, upload_id=upload_id, principal=current_principal())
        headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="{service.download_name(upload)}"',
                   "Content-Security-Policy": "default-src 'none'; sandbox"}
        return Response(data, mimetype=upload.content_type, headers=headers)


@blp.route("/<case_id>/supplement-requests")
class SupplementRequests(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(SupplementRequestInSchema)
    @blp.response(201, SupplementRequestSchema)
    @login_required(kinds=("staff",), roles=WINDOW)
    def post(self, body, case_id):
        """请家属补充材料（容缺受理后的补正）：家属在应用里收到通知和缺项清单"""
        return service.request_supplement(case_id=case_id, principal=current_principal(),
                                          materials=body.get("materials"), note=body.get("note"))


@blp.route("/<case_id>/originals")
class Originals(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(OriginalsSchema)
    @blp.response(200, MaterialsSchema)
    @login_required(kinds=("staff",), roles=WINDOW)
    def post(self, body, case_id):
        """登记已交回死亡人员身份证和户口页原件并剪角退还（附件2 注4），户口注销随即可以推送"""
        return service.record_originals(case_id=case_id, principal=current_principal(), **body)


@blp.route("/<case_id>/abnormal-death-certificate")
class AbnormalDeathCertificate(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(AbnormalDeathCertificateSchema)
    @blp.response(200, CaseSchema)
    @login_required(kinds=("staff",), roles=WINDOW)
    def post(self, body, case_id):
        """登记公安机关线下开具的非正常死亡证明（编号，可附扫描件），等待死亡证明的事项随即推送"""
        return service.record_abnormal_death_certificate(case_id=case_id, principal=current_principal(), **body)


@blp.route("/<case_id>/application.pdf")
class ApplicationPdf(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, description="附件2 申请表（PDF，A4）", content_type="application/pdf")
    @blp.alt_response(503, description="服务器未安装打印用中文字体")
    @login_required()
    def get(self, case_id):
        """打印申请表（附件2）：已填好、带申请二维码和签名栏，证件号码和账号部分遮蔽"""
        case, pdf = service.application_pdf(case_id=case_id, principal=current_principal())
        headers = {**PRIVATE, "Content-Disposition": f'inline; filename="application-{case.reference}.pdf"'}
        return Response(pdf, mimetype="application/pdf", headers=headers)
