from typing import Any

from django import forms

from partners.models import Partner

from .manual_entry import CallEntryForm, ContactEntryForm


def _partner_choices() -> list[tuple[str, str]]:
    return [("", "Choose a partner")] + [
        (ref, f"{name} ({ref})")
        for ref, name in Partner.objects.order_by("name").values_list("ref", "name")
    ]


class _ActivityForm(forms.Form):
    """Staff choose the partner; the partner portal uses the entry forms without it."""

    partner = forms.ChoiceField(choices=())
    field_order = ["partner"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ChoiceField)
        partner.choices = _partner_choices()


class CallForm(_ActivityForm, CallEntryForm):
    pass


class ContactForm(_ActivityForm, ContactEntryForm):
    pass
