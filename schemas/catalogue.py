"""The matter catalogue and eligibility answers."""
from marshmallow import Schema, fields

from schemas.common import BaseSchema
from schemas.common import ShanghaiDateTime as ShanghaiDateTimeIn
from schemas.output import ShanghaiDateTime


class CatalogueMatterSchema(Schema):
    code = fields.String()
    name = fields.String()
    department = fields.String()
    department_name = fields.String()
    mode = fields.String(metadata={"description": "requested（申请办理）或 automatic（自动办理）"})
    offline = fields.Boolean(dump_default=False)
    waits_for = fields.List(fields.String())
    waits_for_names = fields.List(fields.String())
    deadline = fields.Dict(metadata={"description": "办结时限规则：kind、days/hours、clock"})
    deadline_text = fields.String()
    notes = fields.String()
    materials = fields.List(fields.String())
    material_names = fields.List(fields.String())
    source = fields.String()


class WaitsForSchema(Schema):
    code = fields.String()
    name = fields.String()


class EligibleMatterSchema(Schema):
    code = fields.String()
    name = fields.String()
    department = fields.String()
    department_name = fields.String()
    status = fields.String(metadata={"description": "applies（可申请）| automatic（自动办理）| not_applicable（不适用）"})
    requested = fields.Boolean()
    will_create = fields.Boolean(metadata={"description": "提交后是否会办理此事项"})
    reason = fields.String(allow_none=True)
    waits_for = fields.List(fields.Nested(WaitsForSchema))
    notes = fields.String(allow_none=True)


class EligibilitySchema(Schema):
    matters = fields.List(fields.Nested(EligibleMatterSchema))
    blocked = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "申请了但不符合条件的事项及原因"})


class DeadlineQuerySchema(BaseSchema):
    start = ShanghaiDateTimeIn(
        required=True,
        metadata={"description": "时限起算时间，ISO 8601 带时区，如 2026-01-31T10:00:00+08:00（火化证明为火化时间）"},
    )


class DeadlineSchema(Schema):
    code = fields.String()
    state = fields.String(metadata={"description": "scheduled（已定）| pending_calendar（节假日安排尚未公布，时限待定）"
                                                   "| no_fixed_deadline（按业务规定时限）"})
    due_at = ShanghaiDateTime(allow_none=True, metadata={"description": "办结时限（北京时间），用于“预计 X 前办结”"})
    effective_date = fields.Date(allow_none=True, metadata={"description": "待遇终止事项的停发日期（次月1日）"})
    rule_text = fields.String(metadata={"description": "时限规则说明"})
