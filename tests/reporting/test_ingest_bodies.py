"""reporting.bodies: the rows of a JSON, NDJSON or CSV body, read chunk by chunk within
the bounds of depth, row size and value size, wherever the chunks happen to cut."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reporting import bodies
from reporting.bodies import BodyNotParsable, BodyTooLarge, csv_rows, json_rows


@contextmanager
def bounds(**values: int) -> Iterator[None]:
    """The module's bounds and chunk size set for a block (names as in the module)."""
    with mock.patch.multiple(bodies, **values):  # type: ignore[call-overload]
        yield


def read_json(body: bytes) -> list[Any]:
    return list(json_rows(io.BufferedReader(io.BytesIO(body))))


def read_csv(body: bytes) -> list[Mapping[str, Any]]:
    return list(csv_rows(io.BufferedReader(io.BytesIO(body))))


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


# Text with what trips a scanner up: quotes, backslashes, brackets, multi-byte characters.
texts = st.text(alphabet=st.sampled_from('ab"\\[]{}:, \u00e9\u20ac\U0001f600\n'), max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=12,
)


def dumps(value: Any, ascii_only: bool, spaced: bool) -> str:
    return json.dumps(
        value, ensure_ascii=ascii_only, separators=(", ", ": ") if spaced else (",", ":")
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(values, max_size=6),
    form=st.sampled_from(["array", "ndjson", "pretty"]),
    chunk=st.integers(min_value=1, max_value=40),
    ascii_only=st.booleans(),
    spaced=st.booleans(),
)
def test_any_chunking_gives_the_decoders_rows_or_refuses_exactly_the_too_deep_bodies(
    rows: list[Any], form: str, chunk: int, ascii_only: bool, spaced: bool
) -> None:
    # given rows written as one array, as NDJSON or as an indented array, read in
    # chunks of `chunk` bytes with a depth bound of 4 (a body that starts with [ is an
    # array, so NDJSON's first row is not one)
    assume(form != "ndjson" or not rows or not isinstance(rows[0], list))
    if form == "array":
        text = dumps(rows, ascii_only, spaced)
    elif form == "pretty":
        text = json.dumps(rows, ensure_ascii=ascii_only, indent=2)
    else:
        text = "".join(dumps(row, ascii_only, spaced) + "\n" for row in rows)
    nesting = depth(rows) if form != "ndjson" else max(map(depth, rows), default=0)

    # when it is read
    with bounds(MAX_DEPTH=4, CHUNK_BYTES=chunk):
        if nesting > 4:
            # then a body nested deeper than the bound is refused
            with pytest.raises(BodyNotParsable, match="more than 4 levels deep"):
                read_json(text.encode())
            return
        got = read_json(text.encode())

    # then otherwise every row comes back as the standard decoder reads it, numbers
    # with a fraction or an exponent as Decimal
    assert got == json.loads(json.dumps(rows), parse_float=Decimal)


def test_a_body_nested_80000_deep_is_refused_before_it_is_decoded() -> None:
    # given the body of the report: 80,000 arrays in a row's value, 160 KB
    body = b'{"external_id":' + b"[" * 80000 + b"]" * 80000 + b"}"

    # when it is read (with the decoder watched)
    with (
        mock.patch.object(bodies._JsonRows, "_value", side_effect=AssertionError("decoded")),
        pytest.raises(BodyNotParsable, match="more than 32 levels deep") as refused,
    ):
        read_json(body)

    # then the depth scan refused it before the decoder was given any of it
    assert "each row must be one object" in str(refused.value)


def test_brackets_and_escaped_quotes_inside_strings_do_not_count_as_nesting() -> None:
    # given rows whose strings hold many brackets and escaped quotes, cut every 3 bytes
    rows = [{"external_id": '[[[[{{{{"\\' * 50, "note": "]]]]}}}}" * 50}] * 3
    body = "".join(json.dumps(row) + "\n" for row in rows).encode()

    # when it is read, then the rows come back whole
    with bounds(CHUNK_BYTES=3):
        assert read_json(body) == rows


def test_a_string_longer_than_the_value_bound_is_refused_after_one_chunk() -> None:
    # given a body whose one value is a 60 MB string, read through a counting stream
    body = b'{"external_id": "' + b"x" * 60_000_000 + b'"}'
    source = io.BytesIO(body)
    stream = io.BufferedReader(source)

    # when it is read
    with pytest.raises(BodyTooLarge, match=f"longer than {bodies.MAX_VALUE_BYTES} bytes"):
        list(json_rows(stream))

    # then reading stopped within the first chunk of it
    assert source.tell() <= 2 * bodies.CHUNK_BYTES


def test_a_long_value_inside_one_chunk_is_refused_too() -> None:
    # given a 9,000-byte string (over the 8 KB bound) that one chunk holds whole, as
    # JSON and as CSV
    long = "é" * 4500

    # when each is read, then each is refused
    with pytest.raises(BodyTooLarge, match="longer than 8192 bytes"):
        read_json(json.dumps({"external_id": long}, ensure_ascii=False).encode())
    with pytest.raises(BodyTooLarge, match="longer than 8192 bytes"):
        read_csv(f"external_id,partner\n{long},acme\n".encode())

    # and a value just under the bound, in a long row, is read
    assert read_json(json.dumps({"a": "x" * 8000, "b": "y" * 8000}).encode())[0]["b"] == "y" * 8000


@pytest.mark.parametrize(
    "body",
    [
        b'{"external_id": "a"' + b', "k": 1' * 20000 + b"}",
        b'{"a": [' + b"1," * 40000 + b"1]}",
        b'{"a": 1.' + b"1" * 70000 + b"}",
    ],
    ids=["many-fields", "long-array", "long-number"],
)
def test_a_row_larger_than_the_row_bound_is_413_without_reading_on(body: bytes) -> None:
    # given a row of over 64 K characters followed by a lot more
    source = io.BytesIO(body + b"\n" + b'{"external_id": "next"}\n' * 100000)
    stream = io.BufferedReader(source)

    # when it is read
    with pytest.raises(BodyTooLarge, match="A row is larger than 65536 characters"):
        list(json_rows(stream))

    # then no more than a chunk past the row's bound was read
    assert source.tell() <= bodies.MAX_ROW_CHARS + 2 * bodies.CHUNK_BYTES


def test_a_csv_record_larger_than_the_row_bound_is_413() -> None:
    # given a CSV record of 70 K characters on one line, and one of many quoted lines
    wide = "external_id,note\nx," + "y" * 70000 + "\n"
    tall = 'external_id,note\nx,"' + "line\n" * 20000 + '"\n'

    # when each is read, then each is refused
    for body in (wide, tall):
        with pytest.raises(BodyTooLarge, match="A row is larger than 65536 characters"):
            read_csv(body.encode())


def test_csv_rows_are_read_as_the_csv_module_reads_them() -> None:
    # given a header, a short row, a blank line, a row with a quoted comma and newline
    body = 'external_id,partner,amount\r\nx-1,acme\r\n\r\n"x-2","bolt, inc","1\n2"\r\n'

    # when it is read
    rows = read_csv(("\ufeff" + body).encode())

    # then the missing field is None and the quoted values are whole
    assert rows == [
        {"external_id": "x-1", "partner": "acme", "amount": None},
        {"external_id": "x-2", "partner": "bolt, inc", "amount": "1\n2"},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'[{"a": 1}, {"a": 2}', "ends inside the array"),
        (b'[{"a": 1} {"a": 2}]', "expecting , or ]"),
        (b'[{"a": 1}] {"a": 2}', "more after the array's closing ]"),
        (b'{"a": 1}\n{"a": }\n', "Expecting value in row 1"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b'{"a": ' + b"9" * 5000 + b"}", "cannot be read"),
        (b'{"a": NaN}', "NaN is not a JSON value"),
    ],
    ids=[
        "unclosed-array",
        "no-comma",
        "after-array",
        "bad-second-row",
        "not-utf8",
        "huge-int",
        "nan",
    ],
)
def test_a_malformed_body_is_a_parse_error_that_says_where(body: bytes, message: str) -> None:
    # when a malformed body is read, then the error says what is wrong and where
    with pytest.raises(BodyNotParsable, match=message):
        read_json(body)


def test_an_empty_body_and_an_empty_array_have_no_rows() -> None:
    assert read_json(b"") == []
    assert read_json(b" \n ") == []
    assert read_json(b"[ ]") == []
    assert read_json(b'\xef\xbb\xbf{"a": 1.50}') == [{"a": Decimal("1.50")}]
