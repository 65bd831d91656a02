"""Errors: a service's messages per field, collected so that one ValidationError
names every bad field at once (the form shows them inline, the API answers 400 with
them all), instead of failing on the first."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Errors(dict[str, list[str]]):
    """Messages per field name; a dict, so `field in errors` and `list(errors)` read
    which fields failed."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def absorb(self, field: str, error: ValidationError) -> None:
        """Every message of `error` (a validator's, a model field's) under `field`."""
        for message in error.messages:
            self.add(field, message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))
