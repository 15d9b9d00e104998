"""What every schema shares: plain-Chinese error messages, dotted error keys, small fields.

Errors: a schema built on :class:`BaseSchema` raises ``ValidationError`` whose ``messages`` is
flat, ``{"deceased.bank_account.account_number": ["…"], "circumstances.welfare.1": ["…"]}`` —
the dotted path of the field (list items by index), each with a list of Chinese messages;
``"_schema"`` only for an error about the whole body. It is the ``errors`` of SPEC §10.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from app.clock import SHANGHAI
from app.errors import flatten_errors
from app.standards.gb11643 import InvalidIdNumber, validate_id_number

REQUIRED = "此项为必填项"

# Marshmallow's English defaults, replaced wherever a field still carries them.
_COMMON_MESSAGES = {
    "required": REQUIRED,
    "null": "此项不能为空",
    "validator_failed": "此项填写不正确",
    "invalid": "格式不正确",
    "type": "格式不正确",
}
_DATETIME_EXAMPLE = "如 2026-01-30T23:40:00+08:00"
_TYPE_MESSAGES: dict[type, dict[str, str]] = {
    fields.String: {"invalid": "格式不正确，应为文字"},
    fields.Number: {"invalid": "格式不正确，应为数字", "too_large": "数字太大"},
    fields.Integer: {"invalid": "格式不正确，应为整数"},
    fields.Boolean: {"invalid": "格式不正确，应为 true（是）或 false（否）"},
    fields.DateTime: {
        "invalid": f"时间格式不正确，应为带时区的时间，{_DATETIME_EXAMPLE}",
        "invalid_awareness": f"时间须写明时区，{_DATETIME_EXAMPLE}",
        "format": "时间无法按要求的格式输出",
    },
    fields.Date: {"invalid": "日期格式不正确，应如 2026-01-30"},
    fields.List: {"invalid": "格式不正确，应为列表"},
    fields.Nested: {"type": "格式不正确，应为对象"},
    fields.Mapping: {"invalid": "格式不正确，应为对象"},
    fields.Enum: {"unknown": "取值不在允许范围内"},
}


def _localise(field: fields.Field) -> None:
    """Put Chinese in place of every English default message of ``field`` (and of the fields
    inside a List, Tuple or Dict); messages a schema author set explicitly are kept."""
    english: dict[str, str] = {}
    chinese = dict(_COMMON_MESSAGES)
    for cls in reversed(type(field).__mro__):
        english.update(getattr(cls, "default_error_messages", {}))
        chinese.update(_TYPE_MESSAGES.get(cls, {}))
    for key, message in field.error_messages.items():
        if key in chinese and message == english.get(key):
            field.error_messages[key] = chinese[key]
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None),
             getattr(field, "value_field", None), *getattr(field, "tuple_fields", ())]
    for child in inner:
        if isinstance(child, fields.Field):
            _localise(child)


#: Dates and times a request may carry (local years, Asia/Shanghai). Before 1901 Asia/Shanghai
#: has a local mean time offset (+08:05:43) that no ISO 8601 answer can write; near year 9999
#: the conversion to Shanghai time overflows. No matter's facts fall outside these years.
SUPPORTED_YEARS = (1901, 2199)
_YEARS_MESSAGE = f"超出可受理的年份范围（{SUPPORTED_YEARS[0]}–{SUPPORTED_YEARS[1]} 年）"


def _supported_year(value: date) -> bool:
    """Validator of every request date and time (``datetime`` is a ``date``)."""
    if not SUPPORTED_YEARS[0] <= value.year <= SUPPORTED_YEARS[1]:
        raise ValidationError(_YEARS_MESSAGE)
    return True


def _json_type_error(field: fields.Field, value) -> str | None:
    """The error when a JSON ``value`` has not the JSON type ``field`` documents, else ``None``.
    marshmallow alone takes ``0``, ``1``, ``"yes"`` as booleans and ``"5"`` or ``5.0`` as integers."""
    if isinstance(field, fields.Boolean):
        ok = isinstance(value, bool)
    elif isinstance(field, fields.Integer):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(field, fields.Number):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        return None
    return None if ok else field.error_messages["invalid"]


class BaseSchema(Schema):
    """Refuses unknown fields, speaks Chinese, reports errors by dotted field path.

    What the OpenAPI document calls invalid is refused wherever the request carries it:
    unknown fields in a query string or a form too (webargs would drop them there), a JSON
    value of another type than documented (query strings and forms are text and are parsed from
    text), and dates and times outside :data:`SUPPORTED_YEARS`. Integers must carry a ``Range``
    with both bounds (``tests/schemas/test_request_values.py`` checks every request schema).
    """

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不认识的字段", "type": "格式不正确，应为对象"}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _localise(field_obj)
        for field in (field_obj, getattr(field_obj, "inner", None)):
            if isinstance(field, (fields.Date, fields.DateTime)):
                field.validators.append(_supported_year)

    def load(self, data, *, many=None, partial=None, unknown=None):
        """As :meth:`marshmallow.Schema.load`, but ``unknown`` is always this schema's own
        (``RAISE``): webargs asks for ``EXCLUDE`` on query strings and files."""
        return super().load(data, many=many, partial=partial)

    @pre_load
    def _refuse_other_json_types(self, data, **kwargs):
        # A JSON body arrives as a dict; query strings and forms as webargs' text proxies.
        if not isinstance(data, dict):
            return data
        errors: dict[str, list[str]] = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            value = data.get(key)
            if value is None:
                continue
            if isinstance(field, fields.List) and isinstance(value, list):
                for index, item in enumerate(value):
                    if item is not None and (error := _json_type_error(field.inner, item)):
                        errors[f"{key}.{index}"] = [error]
            elif error := _json_type_error(field, value):
                errors[key] = [error]
        if errors:
            raise ValidationError(errors)
        return data

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs) -> None:
        raise ValidationError(
            flatten_errors(error.messages), data=error.data, valid_data=error.valid_data
        )


# Validators with Chinese default messages (marshmallow formats {min}, {max}, {equal}).
class OneOf(validate.OneOf):
    default_message = "取值不在允许范围内"


class Length(validate.Length):
    message_min = "至少 {min} 个字"
    message_max = "最多 {max} 个字"
    message_all = "应为 {min} 到 {max} 个字"
    message_equal = "应为 {equal} 个字"


class Range(validate.Range):
    message_min = "应{min_op} {{min}}"
    message_max = "应{max_op} {{max}}"
    message_all = "应{min_op} {{min}} 且{max_op} {{max}}"
    message_gte = "不小于"
    message_gt = "大于"
    message_lte = "不大于"
    message_lt = "小于"


class Regexp(validate.Regexp):
    """The whole value must match: ``$`` in ``re.match`` would let a trailing newline through."""

    default_message = "格式不正确"

    def __call__(self, value):
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Equal(validate.Equal):
    default_message = "取值不正确"


class Text(fields.String):
    """A string with blanks trimmed at both ends; blank counts as missing.

    Blank is refused with "此项为必填项", or loads as ``None`` when the field has
    ``allow_none=True``. ``max_length`` is in characters.
    """

    def __init__(self, *, max_length: int | None = None, **kwargs) -> None:
        validate_arg = kwargs.pop("validate", None) or []
        validators = [validate_arg] if callable(validate_arg) else list(validate_arg)
        if max_length is not None:
            validators.append(Length(max=max_length))
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text:
            return text
        if self.allow_none:
            return None
        raise self.make_error("required")

    def _validate(self, value) -> None:
        if value is not None:
            super()._validate(value)


class Code(fields.String):
    """One code out of ``choices`` (a ``{code: label}`` table); ``error`` names the table."""

    def __init__(self, choices, *, error: str | None = None, **kwargs) -> None:
        super().__init__(validate=OneOf(list(choices), error=error), **kwargs)


class UniqueList(fields.List):
    """A list whose repeated items are dropped, first occurrence kept in order."""

    def _deserialize(self, value, attr, data, **kwargs):
        return list(dict.fromkeys(super()._deserialize(value, attr, data, **kwargs)))


class ShanghaiDateTime(fields.AwareDateTime):
    """ISO 8601 date-time with an offset (``2026-01-30T23:40:00+08:00``; ``Z`` accepted),
    loaded as an aware ``datetime`` in Asia/Shanghai. A time without offset is refused."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(SHANGHAI)
        except OverflowError:  # e.g. 9999-12-31T23:59-10:00 is in year 10000 in Shanghai
            raise ValidationError(_YEARS_MESSAGE) from None


class IdNumber(fields.String):
    """A GB 11643 citizen ID number, loaded normalised (trimmed, ``x`` → ``X``)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        try:
            return validate_id_number(super()._deserialize(value, attr, data, **kwargs))
        except InvalidIdNumber as error:
            raise ValidationError(str(error)) from None


class DigitString(fields.String):
    """Digits only, spaces between groups removed (``6222 0000 …`` → ``62220000…``);
    ``pattern`` is the full-match regex and ``error`` the message when it fails."""

    def __init__(self, *, pattern: str, error: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pattern = re.compile(pattern)
        self._error = error

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = re.sub(r"[\s-]", "", super()._deserialize(value, attr, data, **kwargs))
        if not self._pattern.fullmatch(text):
            raise ValidationError(self._error)
        return text
