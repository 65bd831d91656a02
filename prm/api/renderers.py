"""JSON rendering for the API: Decimals as strings, so money stays exact end to end."""

from decimal import Decimal
from typing import Any

from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.encoders import JSONEncoder as DrfJSONEncoder


class JSONEncoder(DrfJSONEncoder):
    def default(self, obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return str(obj)
        return super().default(obj)


class JSONRenderer(DrfJSONRenderer):
    encoder_class = JSONEncoder
