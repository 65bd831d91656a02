"""Forms of the base UI, and how any page puts a service's errors on its form."""

from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from prm.accounts.models import Scope
from prm.webhooks.models import WebhookEvent


def form_errors_from(
    form: forms.Form, errors: ValidationError | Mapping[str, Iterable[str]]
) -> None:
    """Put a service's messages on the form fields they name, the rest on top of the
    form: a ValidationError (by field or not) or a mapping of field to messages (the
    ingestion's row errors)."""
    if isinstance(errors, ValidationError):
        errors = (
            errors.message_dict
            if hasattr(errors, "error_dict")
            else {NON_FIELD_ERRORS: errors.messages}
        )
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


class ApiKeyEditForm(forms.Form):
    name = forms.CharField(max_length=100)
    rate_limit = forms.IntegerField(
        label="Rate limit (requests a minute)",
        required=False,
        min_value=1,
        help_text="Leave empty for the tenant's default.",
    )


class ApiKeyCreateForm(ApiKeyEditForm):
    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. “ERP sync”.")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text="Write lets the key push data; webhooks lets it choose where this "
        "tenant's events are sent, so give it only to an integration you trust with that.",
    )
    field_order = ["name", "scopes", "rate_limit"]


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="Receiver URL",
        max_length=1000,
        assume_scheme="https",
        help_text="An https:// address on the public internet; events are not sent to "
        "local or private networks, and redirects are not followed.",
        error_messages={"required": "Enter the https:// address that receives the events."},
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one event for the receiver to be sent."},
    )
    description = forms.CharField(max_length=200, required=False)
