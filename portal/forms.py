"""Forms of the partner portal. None has a partner field: the partner is always the
signed-in user's own (portal.selectors.portal_partner). The forms only read input;
the services normalise and validate it (phones, DNS servers), as on the staff pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django_countries import countries

from partners.fields import label, value_of
from partners.models import Partner
from slas.models import RequestKind

from .services import PROFILE_FIELDS


class ProfileForm(forms.Form):
    contact_name = forms.CharField(label=label("contact_name"), required=False, max_length=200)
    contact_email = forms.CharField(
        label=label("contact_email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label=label("contact_phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="With +country code, or in your country's format.",
    )
    phone = forms.CharField(
        label=label("phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    street = forms.CharField(label=label("street"), required=False, max_length=200)
    city = forms.CharField(label=label("city"), required=False, max_length=100)
    region = forms.CharField(label=label("region"), required=False, max_length=100)
    postal_code = forms.CharField(label=label("postal_code"), required=False, max_length=20)
    country = forms.ChoiceField(label=label("country"), required=False)
    primary_dns = forms.CharField(
        label=label("primary_dns"),
        required=False,
        max_length=253,
        help_text="Host name or IP address of your domain's first name server.",
    )
    secondary_dns = forms.CharField(label=label("secondary_dns"), required=False, max_length=253)

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        kwargs.setdefault("initial", profile_initial(partner))
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", "—"), *countries]
        assert set(self.fields) == set(PROFILE_FIELDS)

    def changed_fields(self) -> dict[str, Any]:
        """Only what the partner changed: an unchanged form saves nothing and sends no
        webhook."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


def profile_initial(partner: Partner) -> dict[str, Any]:
    return {name: value_of(partner, name) for name in PROFILE_FIELDS}


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=RequestKind.choices,
        initial=RequestKind.SUPPORT,
        help_text="A lead is timed against the lead acceptance target, the rest against "
        "first response and resolution.",
    )
    subject = forms.CharField(
        label="Subject", max_length=200, help_text="In a few words, what you need."
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


class RequestReplyForm(forms.Form):
    """A partner user's answer on one of its requests (a note to its channel manager)."""

    body = forms.CharField(
        label="Your answer",
        required=False,  # slas.services says what is missing, in its words
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Your channel manager (or, without one, the vendor's administrators) is "
        "told at once, in the app and by e-mail. "
        "Markdown (**bold**, - lists, [links](https://…)) is shown formatted.",
    )
