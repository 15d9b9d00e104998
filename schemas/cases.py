"""Case answers: status, matters with department, deadline and outcome; private numbers masked."""
from marshmallow import Schema, fields

from app.catalogue.service import department_name, get_matter, prerequisite_name
from app.masking import mask_account, mask_id_number, mask_phone
from schemas.common import BaseSchema, Length, OneOf
from schemas.output import ShanghaiDateTime

CASE_STATUS_NAMES = {"draft": "草稿", "submitted": "已提交", "accepted": "已受理", "in_progress": "联办中",
                     "completed": "已办结", "withdrawn": "已撤回"}
MATTER_STATUS_NAMES = {"waiting": "等待中", "dispatched": "已推送", "accepted": "部门已受理", "done": "已办结",
                       "rejected": "已退回", "not_applicable": "无需办理"}
DUE_STATE_NAMES = {"scheduled": "按时限办结", "pending_calendar": "时限待定（节假日安排尚未公布）",
                   "no_fixed_deadline": "按业务规定时限办结", "awaiting_event": "待相关环节完成后起算"}


class OutcomeSchema(Schema):
    certificate_reference = fields.String()
    payout_amount_fen = fields.Integer(metadata={"description": "发放金额，单位：分"})
    currency = fields.String()
    payout_account = fields.Function(lambda o: mask_account(o.get("payout_account")),
                                     metadata={"description": "收款账号（已遮蔽）"})
    effective_date = fields.String(metadata={"description": "生效日期（停发自该日起）"})
    refund_required_fen = fields.Integer(metadata={"description": "需退回医保部门的多划拨金额，单位：分"})
    note = fields.String()


class MatterSchema(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.Function(lambda m: get_matter(m.code)["name"])
    department = fields.String()
    department_name = fields.Function(lambda m: department_name(m.department))
    automatic = fields.Boolean()
    status = fields.String()
    status_name = fields.Function(lambda m: MATTER_STATUS_NAMES.get(m.status, m.status))
    waiting_for = fields.Function(lambda m: [{"code": p, "name": prerequisite_name(p)} for p in m.waiting_for or []])
    dispatch_state = fields.String()
    due_state = fields.String(allow_none=True)
    due_state_name = fields.Function(lambda m: DUE_STATE_NAMES.get(m.due_state) if m.due_state else None)
    due_at = ShanghaiDateTime(allow_none=True)
    deadline_rule = fields.String(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "已超过办结时限仍未办结，或超时办结"})
    effective_date = fields.Date(allow_none=True)
    outcome = fields.Nested(OutcomeSchema)
    reason = fields.String(allow_none=True)
    dispatched_at = ShanghaiDateTime(allow_none=True)
    accepted_at = ShanghaiDateTime(allow_none=True)
    finished_at = ShanghaiDateTime(allow_none=True)


def _deceased(case):
    d = case.form["deceased"]
    return {"name": d["name"], "gender": d["gender"], "age": d["age"], "died_at": d["died_at"],
            "id_number": mask_id_number(d["id_number"])}


def _applicant(case):
    a = case.form["applicant"]
    return {"name": a["name"], "relationship": a["relationship"], "phone": mask_phone(a["phone"]),
            "id_number": mask_id_number(a["id_number"])}


class CaseSchema(Schema):
    id = fields.String()
    reference = fields.String(metadata={"description": "申请编号"})
    status = fields.String()
    status_name = fields.Function(lambda c: CASE_STATUS_NAMES.get(c.status, c.status))
    channel = fields.String(metadata={"description": "window（窗口）或 app（掌上办）"})
    window_id = fields.String(allow_none=True)
    deceased = fields.Function(_deceased)
    applicant = fields.Function(_applicant)
    matters = fields.List(fields.Nested(MatterSchema))
    created_at = ShanghaiDateTime()
    submitted_at = ShanghaiDateTime(allow_none=True)
    accepted_at = ShanghaiDateTime(allow_none=True)
    completed_at = ShanghaiDateTime(allow_none=True)


class CaseSummarySchema(Schema):
    id = fields.String()
    reference = fields.String()
    status = fields.String()
    status_name = fields.Function(lambda c: CASE_STATUS_NAMES.get(c.status, c.status))
    deceased_name = fields.String()
    created_at = ShanghaiDateTime()
    matters_total = fields.Function(lambda c: len(c.matters))
    matters_finished = fields.Function(lambda c: sum(m.status in {"done", "not_applicable"} for m in c.matters))


class EventSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    summary = fields.String()
    actor = fields.Function(lambda e: e.actor.split(":", 1)[0],
                            metadata={"description": "family | staff | department | system"})
    matter_id = fields.String(allow_none=True)
    created_at = ShanghaiDateTime()


class MaterialRequestSchema(BaseSchema):
    kind = fields.String(required=True, validate=OneOf(
        ["death_certificate", "deceased_id_card_clipped_scan", "hukou_page_clipped_scan", "originals_handed_in",
         "application_form", "applicant_id_card", "social_security_card"]))


class QrQuerySchema(BaseSchema):
    format = fields.String(load_default="png", validate=OneOf(["png", "svg", "json"]))


class MessageSchema(Schema):
    id = fields.Integer()
    case_id = fields.String()
    title = fields.String()
    body = fields.String()
    created_at = ShanghaiDateTime()
    read = fields.Function(lambda m: m.read_at is not None)


class ScanRequestSchema(BaseSchema):
    token = fields.String(required=True, validate=Length(min=1, max=32, error="二维码内容不正确"))


class ScanResultSchema(Schema):
    kind = fields.String(metadata={"description": "case（申请）或 window（窗口办事码）"})
    window_id = fields.String()
    window_name = fields.String(allow_none=True)
    deceased_masked_name = fields.String(metadata={"description": "如 王**"})


class BindResultSchema(Schema):
    case_id = fields.String()
    membership = fields.String(metadata={"description": "applicant（申请人）| pending（待申请人同意）"})


class _DeceasedCorrectionSchema(BaseSchema):
    bank_account = fields.Dict()
    social_security_card = fields.Dict()


class _ApplicantCorrectionSchema(BaseSchema):
    phone = fields.String()
    address = fields.String()


class CorrectionSchema(BaseSchema):
    """Fields a family may correct after a rejection; checked again with the whole form."""

    deceased = fields.Nested(_DeceasedCorrectionSchema)
    applicant = fields.Nested(_ApplicantCorrectionSchema)
