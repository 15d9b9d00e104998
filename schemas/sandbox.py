"""Sandbox-only request bodies."""
from marshmallow import fields

from app.http_guards import MAX_INT_ID
from app.sandbox.service import INTAKE_BEHAVIOURS, REPORT_BEHAVIOURS
from schemas.common import BaseSchema, Length, OneOf, Range


class ScenarioSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    behaviour = fields.String(required=True, validate=OneOf(INTAKE_BEHAVIOURS + REPORT_BEHAVIOURS))
    matter_code = fields.String(load_default=None, allow_none=True, validate=Length(max=48))
    deceased_id_number = fields.String(load_default=None, allow_none=True, validate=Length(equal=18))
    reason = fields.String(load_default=None, allow_none=True, validate=Length(max=300))
    # Stored in integer columns: bounded by PostgreSQL's integer range.
    amount_fen = fields.Integer(load_default=None, allow_none=True, validate=Range(min=1, max=MAX_INT_ID))
    remaining = fields.Integer(load_default=None, allow_none=True, validate=Range(min=1, max=MAX_INT_ID))
