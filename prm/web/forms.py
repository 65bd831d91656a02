from django import forms

from prm.accounts.models import Role, Scope
from prm.webhooks.models import WebhookEvent


class UserCreateForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=200, required=False)
    role = forms.ChoiceField(
        choices=[(role.value, role.label) for role in (Role.ADMIN, Role.MANAGER, Role.PARTNER)]
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not common, not all digits.",
    )


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
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(max_length=200, required=False)
