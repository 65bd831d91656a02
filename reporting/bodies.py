"""Reading an ingestion body as rows, a chunk at a time, within bounds.

A body (JSON object or array, NDJSON, CSV) is read as a stream and never held whole;
three bounds are enforced while it is read, before any row is built:

- the body's size (`BoundedStream`): refused once more bytes arrive than the limit;
- a row's size (`MAX_ROW_CHARS`, in characters of the body's text) and a value's
  size (`MAX_VALUE_BYTES`, in bytes of UTF-8): a row still open after that many
  characters, or a string value longer than that, stops the reading at that point
  (a 60 MB string costs the first chunk of it, not 60 MB);
- the nesting depth of JSON (`MAX_DEPTH`): every chunk of text is scanned for
  brackets outside strings before the decoder sees it, so no decoder ever walks
  into a deeper structure.

Hand-written around the standard library's JSON decoder (`raw_decode`, one row at a
time) rather than on ijson, because ijson offers none of these bounds and its item
paths cost it time quadratic in the depth (`'['*80000` kept a web worker busy until
it was killed). The standard decoder is a little slower per row than ijson's C
backend (a few microseconds, some 2 % of ingesting a row), and the depth scan costs a
few passes in C over each chunk. CSV stays with the csv module, fed a line at a time
through a reader that counts each record's size.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from itertools import accumulate
from typing import Any

# Bounds of one row. Activity rows are flat objects of a dozen short fields (the
# longest, external_id, takes 200 characters), so these leave room for extra fields
# an integrator sends along, and nothing for anything else.
MAX_DEPTH = 32
MAX_ROW_CHARS = 64 * 1024
MAX_VALUE_BYTES = 8 * 1024
# Bytes read from the body at a time; at least a row's bound, so that finishing a
# row that a chunk cut needs one more read, rarely two.
CHUNK_BYTES = 256 * 1024


class BodyTooLarge(Exception):
    """The body, one of its rows or one of its values is larger than its bound (413)."""


class BodyNotParsable(Exception):
    """The body is not what its content type says, or nests too deep (400)."""


class BoundedStream(io.RawIOBase):
    """The request body, read in chunks, refusing to go past `limit` bytes."""

    def __init__(self, source: Any, limit: int):
        self.source = source
        self.limit = limit
        self.seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.source.read(len(buffer))
        self.seen += len(chunk)
        if self.seen > self.limit:
            raise BodyTooLarge(f"The body is larger than {self.limit} bytes; send it in parts.")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _any_too_long(values: Iterable[str]) -> bool:
    # A character takes at most four bytes of UTF-8: only longer texts are encoded.
    return any(
        len(value) > MAX_VALUE_BYTES // 4 and len(value.encode()) > MAX_VALUE_BYTES
        for value in values
    )


def _row_too_large() -> BodyTooLarge:
    return BodyTooLarge(
        f"A row is larger than {MAX_ROW_CHARS} characters; send each row as an object of "
        "its fields (external_id, partner, ...) and nothing more."
    )


def _value_too_large() -> BodyTooLarge:
    return BodyTooLarge(
        f"A value is longer than {MAX_VALUE_BYTES} bytes; no field of an activity row takes "
        "that much. Check what is sent in it."
    )


def _too_deep(position: int) -> BodyNotParsable:
    return BodyNotParsable(
        f"The body nests arrays or objects more than {MAX_DEPTH} levels deep (near byte "
        f"{position}); each row must be one object of field values."
    )


# --- JSON ----------------------------------------------------------------------------------

# Every byte but quotes and brackets, to delete; in UTF-8 these never occur inside a
# character of several bytes, so the scan works on the body's bytes as they come.
_NOT_MARKS = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_STEP = [0] * 256
for _byte in b"[{":
    _STEP[_byte] = 1
for _byte in b"]}":
    _STEP[_byte] = -1
_SPACE = re.compile(r"[ \t\n\r]*")
# A string or another token (number, literal): the values whose length is bounded.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\s"\[\]{},:]+', re.DOTALL)
# How near the end of the text read so far a decoding error may be and still be the
# text being cut short (a literal, a number or an escape that the next chunk ends).
_CUT_MARGIN = 16


class _NestingGuard:
    """Follows, chunk by chunk of the body's bytes, how deep the JSON nests outside
    strings and how long a string cut by a chunk's end has grown; raises as soon as
    either is too much, before the decoder is given the chunk.

    Strings are found as the decoder finds them: escaped backslashes and escaped
    quotes are dropped first, so every quote left opens or closes a string. Then only
    quotes and brackets are kept; a string without brackets is then two adjacent
    quotes, and when every string is one (the usual chunk), dropping those pairs
    leaves the brackets outside strings. Otherwise the marks are split at the quotes.
    All of it runs in C, a few passes over each chunk. Exact for valid JSON; for
    invalid JSON it may be wrong past the first error, where the decoder stops."""

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.string_bytes = 0
        self.held = b""  # a lone backslash that ended the last chunk, escaping the next
        self.seen = 0

    def feed(self, data: bytes) -> None:
        was_in_string = self.in_string
        if self.held:
            data, self.held = self.held + data, b""
        if data.endswith(b"\\") and (len(data) - len(data.rstrip(b"\\"))) % 2:
            data, self.held = data[:-1], b"\\"
        if b"\\" in data:
            data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
        marks = data.translate(None, _NOT_MARKS)
        if was_in_string:
            marks = b'"' + marks
        # Quotes open and close strings in turn: an odd count leaves the last one open,
        # and what follows it is inside that string.
        self.in_string = marks.count(b'"') % 2 == 1
        if self.in_string:
            marks = marks[: marks.rfind(b'"')]
        outside = marks.replace(b'""', b"")
        if b'"' in outside:
            outside = b"".join(marks.split(b'"')[0::2])
        if self.in_string:
            last_quote = data.rfind(b'"')
            if last_quote < 0:
                self.string_bytes += len(data)
            else:
                self.string_bytes = len(data) - last_quote - 1
            if self.string_bytes > MAX_VALUE_BYTES:
                raise _value_too_large()
        self._nest(outside)
        self.seen += len(data)

    def _nest(self, brackets: bytes) -> None:
        if not brackets:
            return
        opened = brackets.count(b"[") + brackets.count(b"{")
        closed = len(brackets) - opened
        if self.depth + opened > MAX_DEPTH:
            peak = max(accumulate(map(_STEP.__getitem__, brackets), initial=self.depth))
            if peak > MAX_DEPTH:
                raise _too_deep(self.seen)
        # Below zero is invalid JSON, which the decoder refuses where it happens.
        self.depth = max(0, self.depth + opened - closed)


def _decimal(text: str) -> Decimal:
    return Decimal(text)


def _no_constant(name: str) -> None:
    # Python's decoder takes NaN and Infinity; JSON does not.
    raise ValueError(f"{name} is not a JSON value")


class _JsonRows:
    """The rows of a JSON body: the items of a top-level array, or each top-level
    value (one object, or NDJSON)."""

    def __init__(self, stream: Any):
        self.stream = stream
        # utf-8-sig: a byte-order mark at the start is dropped, as JSON allows.
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.guard = _NestingGuard()
        self.scan = json.JSONDecoder(parse_float=_decimal, parse_constant=_no_constant).raw_decode
        self.text = ""
        self.pos = 0
        self.consumed = 0  # characters dropped before self.text, for positions
        self.ended = False
        self.index = 0

    def rows(self) -> Iterator[Any]:
        if not self._skip_space():
            return
        if self.text[self.pos] != "[":
            while self._skip_space():
                yield self._value()
            return
        self.pos += 1
        if not self._skip_space():
            raise self._unfinished()
        if self.text[self.pos] == "]":
            self.pos += 1
            self._nothing_after_the_array()
            return
        while True:
            yield self._value()
            if not self._skip_space():
                raise self._unfinished()
            separator = self.text[self.pos]
            self.pos += 1
            if separator == "]":
                self._nothing_after_the_array()
                return
            if separator != ",":
                raise BodyNotParsable(
                    f"The body is not valid JSON: expecting , or ] after row {self.index - 1} "
                    f"(character {self.consumed + self.pos - 1})."
                )
            if not self._skip_space():
                raise self._unfinished()

    def _read(self) -> bool:
        """One more chunk of text; False once the body has ended."""
        if self.ended:
            return False
        data = self.stream.read(CHUNK_BYTES)
        try:
            chunk = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise BodyNotParsable(
                f"The body is not UTF-8 text ({error.reason} near byte {error.start} of a "
                "chunk); send JSON encoded as UTF-8."
            ) from error
        if not data:
            self.ended = True
        self.guard.feed(data)
        if self.pos:
            self.consumed += self.pos
            self.text = self.text[self.pos :] + chunk
            self.pos = 0
        else:
            self.text += chunk
        return bool(chunk) or not self.ended

    def _skip_space(self) -> bool:
        """Moves past white space; False at the end of the body."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return True
            if not self._read():
                return False

    def _value(self) -> Any:
        start = self.pos
        while True:
            try:
                value, end = self.scan(self.text, start)
            except json.JSONDecodeError as error:
                if not self.ended and self._cut_short(error):
                    if len(self.text) - start > MAX_ROW_CHARS:
                        raise _row_too_large() from error
                    self._read_on(start)
                    start = self.pos
                    continue
                raise BodyNotParsable(
                    f"The body is not valid JSON: {error.msg} in row {self.index} (character "
                    f"{self.consumed + error.pos})."
                ) from error
            except (ValueError, RecursionError) as error:
                # An integer of more digits than Python converts; or, should the depth
                # guard ever miss, the decoder's own recursion limit.
                raise BodyNotParsable(
                    f"The body is not valid JSON: row {self.index} cannot be read ({error})."
                ) from error
            if (
                not self.ended
                and len(self.text) - end < _CUT_MARGIN
                and self.text[end - 1] not in '}]"'
            ):
                # A number near the end of the text read so far may go on (1 of 1e-05).
                self._read_on(start)
                start = self.pos
                continue
            break
        if end - start > MAX_ROW_CHARS:
            raise _row_too_large()
        # No value is longer than its row; only a long row needs its values measured.
        if end - start > MAX_VALUE_BYTES // 4 and _any_too_long(
            token.strip('"') for token in _TOKEN.findall(self.text, start, end)
        ):
            raise _value_too_large()
        self.pos = end
        self.index += 1
        return value

    def _read_on(self, start: int) -> None:
        self.pos = start
        self._read()

    def _cut_short(self, error: json.JSONDecodeError) -> bool:
        """Whether more text could turn this error into a value."""
        return error.msg.startswith("Unterminated string") or (
            error.pos >= len(self.text) - _CUT_MARGIN
        )

    def _unfinished(self) -> BodyNotParsable:
        return BodyNotParsable(
            f"The body is not valid JSON: it ends inside the array, after row {self.index - 1}; "
            "close the array with ]."
        )

    def _nothing_after_the_array(self) -> None:
        if self._skip_space():
            raise BodyNotParsable(
                "The body is not valid JSON: there is more after the array's closing ] "
                f"(character {self.consumed + self.pos}); send one array, or NDJSON."
            )


def json_rows(stream: Any) -> Iterator[Any]:
    """The rows of a JSON or NDJSON body read from a binary `stream`."""
    return _JsonRows(stream).rows()


# --- CSV -----------------------------------------------------------------------------------


class _RecordLines:
    """The lines of a text, for csv.reader, each record bounded by MAX_ROW_CHARS: the
    reader asks for lines only until it has a record, so the characters handed out
    since the last record are the size of the record being read."""

    def __init__(self, text: io.TextIOBase):
        self.text = text
        self.record_chars = 0

    def __iter__(self) -> _RecordLines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(MAX_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.record_chars += len(line)
        if self.record_chars > MAX_ROW_CHARS:
            raise _row_too_large()
        return line


def csv_rows(stream: Any) -> Iterator[Mapping[str, Any]]:
    """The rows of a CSV body (UTF-8, the first line naming the fields)."""
    lines = _RecordLines(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    try:
        reader = csv.reader(lines)
        header = next(reader, None)
        if header is None:
            return
        width = len(header)
        for cells in reader:
            size, lines.record_chars = lines.record_chars, 0
            if not cells:
                continue  # an empty line, as csv.DictReader skips it
            if size > MAX_VALUE_BYTES // 4 and _any_too_long(cells):
                raise _value_too_large()
            row: dict[str, Any] = dict(zip(header, cells, strict=False))
            if len(cells) < width:
                row.update(dict.fromkeys(header[len(cells) :]))
            yield row
    except UnicodeDecodeError as error:
        raise BodyNotParsable(f"The body is not UTF-8 CSV: {error}") from error
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _value_too_large() from error
        raise BodyNotParsable(f"The body is not UTF-8 CSV: {error}") from error
