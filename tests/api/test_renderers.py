"""The API's JSON renderer writes with orjson the very bytes DRF's json.dumps path
writes, and falls back to that path for what orjson cannot write."""

import dataclasses
import datetime
import json
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer

from prm.api.renderers import JSONEncoder, JSONRenderer, dumps

LONDON = zoneinfo.ZoneInfo("Europe/London")


class _StandardRenderer(DrfJSONRenderer):
    """DRF's own json.dumps path with our encoder: what the bytes must equal."""

    encoder_class = JSONEncoder


VALUES = {
    "decimal": Decimal("1540720.00"),
    "negative decimal": Decimal("-0.05"),
    "int": 620,
    "big int in 64 bits": 2**63 - 1,
    "float": 1.5,
    "none and bools": [None, True, False],
    "utc datetime": datetime.datetime(2026, 10, 1, 5, 48, 49, tzinfo=datetime.UTC),
    "zero offset in winter": datetime.datetime(2026, 1, 5, 3, 4, 5, tzinfo=LONDON),
    "summer offset, microseconds": datetime.datetime(2026, 7, 5, 3, 4, 5, 123, tzinfo=LONDON),
    "naive datetime": datetime.datetime(2026, 1, 5, 3, 4, 5),
    "date": datetime.date(2026, 2, 28),
    "time": datetime.time(3, 4, 5, 6),
    "timedelta": datetime.timedelta(hours=1, seconds=3),
    "uuid": uuid.UUID("0099ad73-8567-464b-87d7-04c8315dc09c"),
    "lazy text": gettext_lazy("Partners"),
    "unicode": "Zürich, 東京",
    "line separators": "a\u2028b\u2029c",
    "a dash, which starts as they do in UTF-8": "a\u2013b",
    "non-string keys": {1: "one", None: "none"},
    "tuple": (1, "two"),
    "nested": {"results": [{"revenue": Decimal("0.00"), "first_order_at": None}]},
}


@pytest.mark.parametrize("name", VALUES)
def test_the_bytes_are_those_of_drfs_json_dumps(name):
    value = VALUES[name]
    assert dumps(value) is not None  # written by orjson, not by the fallback
    assert JSONRenderer().render(value) == _StandardRenderer().render(value)


def test_what_orjson_cannot_write_goes_the_standard_way():
    value = {"count": 10**20, "revenue": Decimal("1.00")}
    assert dumps(value) is None
    assert JSONRenderer().render(value) == b'{"count":100000000000000000000,"revenue":"1.00"}'


def test_an_indented_answer_is_indented():
    body = JSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert body == b'{\n  "a": 1\n}'


def test_unwritable_values_fail_as_with_json_dumps():
    @dataclasses.dataclass
    class Point:
        x: int

    with pytest.raises(TypeError):
        JSONRenderer().render({"point": Point(1)})
    with pytest.raises(TypeError):
        json.dumps({"point": Point(1)}, cls=JSONEncoder)


def test_none_is_an_empty_body():
    assert JSONRenderer().render(None) == b""
