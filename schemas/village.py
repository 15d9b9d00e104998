"""The village committee's request to start a death certificate, and the answer."""
from marshmallow import Schema, ValidationError, fields, validates_schema

from schemas.cases import MatterSchema
from schemas.common import BaseSchema, Length, Text
from schemas.form import ApplicationFormSchema


class VillageFormSchema(ApplicationFormSchema):
    """附件2 as the committee fills it in with the family (same rules as ``ApplicationFormSchema``)."""


class VillageStartInSchema(BaseSchema):
    case_reference = Text(validate=Length(max=32), metadata={"description": "家属已提交申请的编号（如 SH20260131123456）"})
    # The committee attests where the death happened: its own county fills in the place's code.
    form = fields.Nested(VillageFormSchema(partial=("deceased.place_of_death.division_code",)),
                         metadata={"description": "代家属填报的申请表（尚无申请时）；身故地区划代码由村（居）委会所在县区填入"})

    @validates_schema
    def one_of(self, data: dict, **kwargs) -> None:
        if bool(data.get("case_reference")) == bool(data.get("form")):
            raise ValidationError({"case_reference": ["请填写申请编号，或提交申请表，二者选一"]})


class VillageStartSchema(Schema):
    case_id = fields.String()
    reference = fields.String(metadata={"description": "申请编号"})
    created = fields.Boolean(metadata={"description": "是否新建了申请"})
    matter = fields.Nested(MatterSchema, metadata={"description": "死亡证明开具事项"})
