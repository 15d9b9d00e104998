"""Supervision answers (figures, overdue list, rectification items, operator alerts) and 好差评."""
from marshmallow import Schema, fields

from app import clock
from app.catalogue.service import department_name, get_matter
from app.masking import mask_numbers_in_text
from app.supervision.models import RATING_LEVELS
from schemas.cases import DUE_STATE_NAMES
from schemas.common import BaseSchema, OneOf, Text
from schemas.output import ShanghaiDateTime


class PeriodQuerySchema(BaseSchema):
    date_from = fields.Date(data_key="from", load_default=None,
                            metadata={"description": "统计开始日期（含），如 2026-11-01；默认本月1日"})
    date_to = fields.Date(data_key="to", load_default=None,
                          metadata={"description": "统计结束日期（含）；默认今天（北京时间）"})


class StatsRowSchema(Schema):
    department = fields.String(allow_none=True, metadata={"description": "部门代码；合计行为 null"})
    department_name = fields.String()
    county_code = fields.String(allow_none=True, metadata={"description": "逝者户籍所在区县（GB/T 2260）"})
    county_name = fields.String()
    received = fields.Integer(metadata={"description": "时段内推送至部门的事项数"})
    finished = fields.Integer(metadata={"description": "其中已办结（含无需办理）"})
    with_deadline = fields.Integer(metadata={"description": "其中有法定办结时限的"})
    on_time = fields.Integer(metadata={"description": "按时办结数"})
    overdue = fields.Integer(metadata={"description": "超期数：超期办结，或至今未办结且已过时限"})
    on_time_rate = fields.Float(allow_none=True, metadata={"description": "按时办结率 0–1：按时办结数 ÷ 有时限的已办结数"})
    median_working_days = fields.Float(allow_none=True,
                                       metadata={"description": "办理时长中位数，单位：工作日（推送当日不计）"})


class StatsSchema(Schema):
    date_from = fields.Date(data_key="from", attribute="from")
    date_to = fields.Date(data_key="to", attribute="to")
    scope = fields.String(metadata={"description": "可见区划代码前缀，空表示全部"})
    rows = fields.List(fields.Nested(StatsRowSchema))
    total = fields.Nested(StatsRowSchema)


class OverdueMatterSchema(Schema):
    case_id = fields.String()
    case_reference = fields.String(metadata={"description": "申请编号"})
    matter_id = fields.String()
    code = fields.String()
    name = fields.String()
    department = fields.String()
    department_name = fields.String()
    county_code = fields.String(allow_none=True)
    county_name = fields.String()
    status = fields.String()
    due_at = ShanghaiDateTime()
    overdue_at = ShanghaiDateTime(allow_none=True, metadata={"description": "超期督办标记时间"})
    overdue_working_days = fields.Integer(allow_none=True, metadata={"description": "已超期工作日数"})


class RectificationQuerySchema(BaseSchema):
    status = fields.String(load_default="open", validate=OneOf(["open", "closed", "all"]))


class RatingSummarySchema(Schema):
    level = fields.Integer()
    level_name = fields.Function(lambda r: RATING_LEVELS.get(r.level))
    comment = fields.Function(lambda r: mask_numbers_in_text(r.comment),
                              metadata={"description": "家属的评价内容（长串数字已遮蔽）"})
    created_at = ShanghaiDateTime()


def _overdue(item) -> bool:
    return item.status == "open" and item.due_at is not None and clock.now() > item.due_at


class RectificationSchema(Schema):
    id = fields.Integer()
    case_id = fields.String()
    matter_id = fields.String()
    matter_code = fields.String()
    matter_name = fields.Function(lambda r: get_matter(r.matter_code)["name"])
    department = fields.String()
    department_name = fields.Function(lambda r: department_name(r.department))
    status = fields.String(metadata={"description": "open（整改中）| closed（已整改）"})
    opened_at = ShanghaiDateTime()
    due_state = fields.String(metadata={"description": "scheduled | pending_calendar（节假日安排未公布，时限待定）"})
    due_state_name = fields.Function(lambda r: DUE_STATE_NAMES.get(r.due_state))
    due_at = ShanghaiDateTime(allow_none=True, metadata={"description": "整改时限：15个工作日"})
    deadline_rule = fields.String()
    overdue = fields.Function(_overdue)
    rating = fields.Nested(RatingSummarySchema)


class OperatorAlertQuerySchema(BaseSchema):
    include_resolved = fields.Boolean(load_default=False)


class OperatorAlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "calendar_year_missing（工作日历缺少年份）"})
    subject = fields.String(metadata={"description": "如缺少的年份 2027"})
    message = fields.String()
    occurrences = fields.Integer(metadata={"description": "因此时限待定的次数"})
    opened_at = ShanghaiDateTime()
    last_seen_at = ShanghaiDateTime()
    resolved_at = ShanghaiDateTime(allow_none=True)
    open = fields.Function(lambda a: a.resolved_at is None)


class RatingRequestSchema(BaseSchema):
    level = fields.Integer(required=True, strict=True, validate=OneOf(sorted(RATING_LEVELS)),
                           metadata={"description": "5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意（国办发〔2019〕51号）"})
    comment = Text(max_length=200, allow_none=True, load_default=None,
                   metadata={"description": "评价内容，选填，最多 200 字"})


class RectificationBriefSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    due_state = fields.String()
    due_at = ShanghaiDateTime(allow_none=True)
    deadline_rule = fields.String()


class RatingSchema(Schema):
    id = fields.Integer()
    case_id = fields.String()
    matter_id = fields.String()
    level = fields.Integer()
    level_name = fields.Function(lambda r: RATING_LEVELS.get(r.level))
    comment = fields.Function(lambda r: mask_numbers_in_text(r.comment), allow_none=True,
                              metadata={"description": "评价内容（长串数字已遮蔽，如电话、证件号）"})
    created_at = ShanghaiDateTime()
    rectification = fields.Nested(RectificationBriefSchema, allow_none=True,
                                  metadata={"description": "差评（不满意及以下）时的整改事项，15个工作日内整改到位"})
