"""Workbench and dead-letter answers and requests."""
from marshmallow import Schema, fields, validates_schema, ValidationError

from app.catalogue.service import get_matter
from app.masking import mask_id_number
from schemas.cases import MatterSchema
from schemas.common import BaseSchema, Length, OneOf
from schemas.departments import OutcomeInSchema
from schemas.output import ShanghaiDateTime


class WorkbenchMatterSchema(MatterSchema):
    case_id = fields.String()
    case_reference = fields.Function(lambda m: m.case.reference)
    deceased_name = fields.Function(lambda m: m.case.deceased_name)
    deceased_id_number = fields.Function(lambda m: mask_id_number(m.case.deceased_id_number))
    household_division_code = fields.Function(
        lambda m: m.case.form["deceased"]["household_registration"]["division_code"])
    attempt = fields.Integer()


class WorkbenchListQuerySchema(BaseSchema):
    status = fields.String(validate=OneOf(["dispatched", "accepted", "done", "rejected", "not_applicable"]))


class WorkbenchReportSchema(BaseSchema):
    status = fields.String(required=True, validate=OneOf(["accepted", "done", "rejected", "not_applicable"]))
    outcome = fields.Nested(OutcomeInSchema)
    reason = fields.String(validate=Length(min=2, max=300))

    @validates_schema
    def _reason_when_refusing(self, data, **kwargs):
        if data["status"] in {"rejected", "not_applicable"} and not data.get("reason"):
            raise ValidationError({"reason": ["退回或无需办理时，请写明原因，家属会据此处理"]})


class DeadLetterSchema(Schema):
    id = fields.String()
    case_id = fields.String()
    code = fields.String()
    name = fields.Function(lambda m: get_matter(m.code)["name"])
    department = fields.String()
    attempt = fields.Integer()
    dispatch_state = fields.String()
    dispatch_tries = fields.Integer()
    dispatch_error = fields.String(allow_none=True)
    updated_at = ShanghaiDateTime()
