"""Filters for the hand-written form fields of templates/includes/form.html and the
apps' _field.html partials."""

from typing import Any

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def input_value(field: BoundField) -> Any:
    """The field's value as its widget writes it into `value=""` (a datetime-local
    input takes `2026-12-02T18:35`, not the page's localised "Dec. 2, 2026, 6:35 p.m."); an
    empty value stays empty."""
    value = field.field.widget.format_value(field.value())
    return "" if value is None else value  # format_value gives None for ""
