"""The matter catalogue and eligibility answers."""
from marshmallow import Schema, fields


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
