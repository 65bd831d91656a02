"""The forms of the programme's pages: a product of the catalogue, and a tier with its
terms as the tier pages take it (its key may be left for the name to give).

They read the input only; product_create / product_update and tier_create /
tier_update validate what they write (a SKU or a slug already taken, a name too long),
and the pages put those errors on these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify

from .forms import TierForm

KEY_MAX_LENGTH = 64


def key_from_name(name: str) -> str:
    """A SKU or slug from a name: "Router X1" is "router-x1" (ASCII letters, digits and
    hyphens; empty when the name has none)."""
    return slugify(name)[:KEY_MAX_LENGTH].strip("-")


class _KeyFromName:
    """Fills an empty key field (`key_field`) from the name, or says why it cannot."""

    key_field = ""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        errors = self.errors  # type: ignore[attr-defined]
        if cleaned.get(self.key_field) or self.key_field in errors or "name" not in cleaned:
            return cleaned
        key = key_from_name(cleaned["name"])
        if key:
            cleaned[self.key_field] = key
        else:
            self.add_error(  # type: ignore[attr-defined]
                self.key_field,
                "The name has no letters or digits to make one from; type one, e.g. “router-x1”.",
            )
        return cleaned


class ProductForm(_KeyFromName, forms.Form):
    key_field = "sku"

    name = forms.CharField(max_length=200, help_text="As partners and reports show it.")
    sku = forms.SlugField(
        label="SKU",
        max_length=KEY_MAX_LENGTH,
        required=False,
        help_text="The product's key in the API, imports and order feeds: letters, digits, "
        "- and _. Leave empty to make one from the name.",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Optional."
    )
    is_active = forms.BooleanField(
        label="Offered to partners",
        required=False,
        initial=True,
        help_text="A retired product stays on the partners and orders that have it, but is "
        "no longer offered for new ones.",
    )


class TierPageForm(_KeyFromName, TierForm):
    key_field = "slug"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slug = self.fields["slug"]
        slug.required = False
        slug.help_text = f"{slug.help_text} Leave empty to make one from the name."
