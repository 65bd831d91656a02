from typing import Any

from django import forms
from django.utils import timezone

from partners.models import Partner

from .models import CallDirection, Counterpart


def _partner_choices() -> list[tuple[str, str]]:
    return [("", "Choose a partner")] + [
        (ref, f"{name} ({ref})")
        for ref, name in Partner.objects.order_by("name").values_list("ref", "name")
    ]


class _ActivityForm(forms.Form):
    partner = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ChoiceField)
        partner.choices = _partner_choices()


class CallForm(_ActivityForm):
    direction = forms.ChoiceField(choices=CallDirection.choices)
    counterpart = forms.ChoiceField(
        choices=Counterpart.choices, help_text="Channel team: a call between you and the partner."
    )
    duration_minutes = forms.DecimalField(min_value=0, max_value=1440, decimal_places=1, initial=5)
    occurred_at = forms.DateTimeField(
        initial=timezone.now, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class ContactForm(_ActivityForm):
    source = forms.CharField(max_length=100, required=False, help_text="e.g. web, event, referral")
    created_at = forms.DateTimeField(
        label="Generated at",
        initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    converted_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
