"""JSON rendering for the API: Decimals as strings, so money stays exact end to end.

The bytes are DRF's (compact, UTF-8, datetimes in ISO 8601 with `Z` for UTC, U+2028
and U+2029 escaped), written by orjson: a thousand rows of metrics take about a sixth
of the time json.dumps with a Python `default` takes. What orjson refuses (an integer
over 64 bits, say) and an indented answer (`Accept: application/json; indent=4`) go
through DRF's json.dumps as before. One difference: a float NaN or infinity becomes
null instead of failing the request (the API sends no floats)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.encoders import JSONEncoder as DrfJSONEncoder


class JSONEncoder(DrfJSONEncoder):
    def default(self, obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return str(obj)
        return super().default(obj)


# Dataclasses pass to `default` as with json.dumps (which refuses them); dict keys
# that are not strings are written as json.dumps writes them.
ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
_default = JSONEncoder().default


def dumps(data: Any) -> bytes | None:
    """`data` as the compact JSON JSONRenderer answers, or None where orjson cannot
    write it."""
    try:
        body = orjson.dumps(data, default=_default, option=ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    # A strict JavaScript subset, as DRF writes it (U+2028 and U+2029 start so).
    if b"\xe2\x80" in body:
        body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return body


class JSONRenderer(DrfJSONRenderer):
    encoder_class = JSONEncoder

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if indent is None and self.compact and not self.ensure_ascii:
            body = dumps(data)
            if body is not None:
                return body
        return super().render(data, accepted_media_type, renderer_context)
