"""Every request schema refuses what its OpenAPI description calls invalid (found by the fuzzer,
tests/fuzz, one endpoint at a time; checked here for every field of every request schema):

- a JSON value of another type: ``0``, ``1`` or ``"yes"`` for a boolean, ``"5"`` or ``5.0`` for
  an integer (query strings and forms are text, and are still parsed from text);
- an unknown field, in a query string or a form as in a JSON body;
- an integer without a documented lower and upper bound (it overflows the database);
- a date or time outside 1901–2199 (before 1901 Asia/Shanghai has no whole-minute offset; near
  year 9999 the conversion to Shanghai time overflows).
"""
from __future__ import annotations

import pytest
from marshmallow import EXCLUDE, ValidationError, fields, validate
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from schemas.common import BaseSchema, Range


@pytest.fixture(scope="module")
def request_schemas(tmp_path_factory) -> list[BaseSchema]:
    """An instance of every request schema the app uses (building the app imports every view)."""
    from app import create_app
    from app.config import load_config
    from tests.ops.support import ops_env

    create_app(load_config(ops_env(tmp_path_factory.mktemp("schemas"))))
    found, todo = [], [BaseSchema]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls is not BaseSchema and not cls.__module__.startswith("tests."):
            found.append(cls())
    assert len(found) > 30
    return found


def _load_fields(schema: BaseSchema):
    for name, field in schema.load_fields.items():
        yield f"{type(schema).__name__}.{name}", field
        inner = getattr(field, "inner", None)
        if isinstance(inner, fields.Field):
            yield f"{type(schema).__name__}.{name}[]", inner


def test_every_request_integer_has_a_lower_and_an_upper_bound(request_schemas):
    unbounded = []
    for schema in request_schemas:
        for name, field in _load_fields(schema):
            if not isinstance(field, fields.Integer):
                continue
            bounded = any(isinstance(v, validate.Range) and v.min is not None and v.max is not None
                          or isinstance(v, validate.OneOf) for v in field.validators)
            if not bounded:
                unbounded.append(name)
    assert unbounded == []


def test_every_request_date_and_time_refuses_years_outside_1901_to_2199(request_schemas):
    checked = 0
    for schema in request_schemas:
        for name, field in _load_fields(schema):
            if isinstance(field, fields.DateTime):
                samples = ["1900-12-31T23:59:00+08:00", "0105-11-27T12:06:28Z", "9999-12-31T23:59:00-10:00",
                           "2200-01-01T00:00:00+08:00"]
                good = "2026-01-30T23:40:00+08:00"
            elif isinstance(field, fields.Date):
                samples, good = ["0001-01-01", "1900-12-31", "2200-01-01", "9999-12-31"], "2026-01-30"
            else:
                continue
            checked += 1
            for sample in samples:
                with pytest.raises(ValidationError):
                    field.deserialize(sample)
                    pytest.fail(f"{name} took {sample}")
            field.deserialize(good)
    assert checked >= 5


class _Probe(BaseSchema):
    flag = fields.Boolean()
    count = fields.Integer(validate=Range(min=0, max=10))
    ratio = fields.Float(validate=Range(min=0, max=1))
    counts = fields.List(fields.Integer(validate=Range(min=0, max=10)))


@pytest.mark.parametrize("body, field", [
    ({"flag": 0}, "flag"), ({"flag": 1}, "flag"), ({"flag": "yes"}, "flag"), ({"flag": "true"}, "flag"),
    ({"count": "5"}, "count"), ({"count": 5.0}, "count"), ({"count": True}, "count"),
    ({"ratio": "0.5"}, "ratio"), ({"ratio": False}, "ratio"),
    ({"counts": [1, "2"]}, "counts.1"),
])
def test_a_json_value_of_another_type_is_refused(body, field):
    with pytest.raises(ValidationError) as caught:
        _Probe().load(body)
    assert field in caught.value.messages, caught.value.messages
    assert all("格式不正确" in m for m in caught.value.messages[field])


def test_json_values_of_the_documented_type_load():
    assert _Probe().load({"flag": False, "count": 5, "ratio": 1, "counts": [0, 10]}) == {
        "flag": False, "count": 5, "ratio": 1, "counts": [0, 10]}


def test_query_strings_and_forms_are_text_and_still_parsed_from_text():
    schema = _Probe()
    query = MultiDictProxy(MultiDict([("flag", "true"), ("count", "5"), ("ratio", "0.5")]), schema)
    assert schema.load(query) == {"flag": True, "count": 5, "ratio": 0.5}


def test_unknown_fields_are_refused_even_where_webargs_asks_to_drop_them():
    """webargs loads query strings and files with ``unknown=EXCLUDE``; ours refuse them there too."""
    schema = _Probe()
    query = MultiDictProxy(MultiDict([("count", "5"), ("foo", "1")]), schema)
    with pytest.raises(ValidationError) as caught:
        schema.load(query, unknown=EXCLUDE)
    assert "foo" in caught.value.messages
