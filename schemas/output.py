"""Output fields shared by answer schemas: times in Asia/Shanghai with offset (SPEC §10)."""
from marshmallow import fields

from app.clock import shanghai


class ShanghaiDateTime(fields.DateTime):
    """An aware datetime written as ISO 8601 in Asia/Shanghai, e.g. 2026-01-31T09:30:00+08:00."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else shanghai(value).isoformat()
