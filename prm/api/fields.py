"""Serializer fields shared by the apps' APIs."""

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty


class BlankAsNullMixin:
    """An optional text value that is stored as "" and shown as null.

    The OpenAPI document gives such a field a format (an e-mail address, say); "" does
    not match it, so a generated client that validates formats could not read the
    object. Absent is null in answers; requests may send null or "" for it.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        value = super().run_validation(data)  # type: ignore[misc]
        return "" if value is None else value

    def to_representation(self, value: Any) -> Any:
        if value in ("", None):
            return None
        return super().to_representation(value)  # type: ignore[misc]


class OptionalEmailField(BlankAsNullMixin, serializers.EmailField):
    pass


class OptionalCharField(BlankAsNullMixin, serializers.CharField):
    pass
