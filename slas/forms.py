"""Forms of the SLA pages. They only collect input: policies and targets are parsed and
checked by slas.services (sla_policy_validate, validate_targets), the same code the API
and `manage.py sla_defaults` use, whose messages the views put back on these fields."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.db.models import QuerySet

from .models import TARGET_FIELDS, WEEKDAY_CHOICES, RequestKind, ReviewCadence, SlaPolicy
from .selectors import TARGET_UNITS, target_label
from .templatetags.sla_tags import format_target

TARGET_HELP = {
    "hours": "Business hours of the support calendar; empty for no target.",
    "money": "Per calendar month, in the tenant's currency; empty for no minimum.",
    "count": "Per calendar month; empty for no minimum.",
    "percent": "Between 0 and 100; empty for no target.",
}


def _target_field(field: str) -> forms.CharField:
    # Text, not a number field: the service parses it and says what is wrong.
    return forms.CharField(
        label=target_label(field).capitalize(),
        required=False,
        help_text=TARGET_HELP[TARGET_UNITS[field]],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.CharField(
        max_length=64,
        help_text="The policy's key in the API and in sla_defaults files: letters, digits, "
        "- and _. It cannot be changed later.",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One line or two."
    )
    policies = forms.CharField(
        label="Policies and procedures",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown (# headings, **bold**, - lists, [links](https://…)); "
        "shown to partners.",
    )
    first_response_hours = _target_field("first_response_hours")
    resolution_hours = _target_field("resolution_hours")
    lead_acceptance_hours = _target_field("lead_acceptance_hours")
    min_monthly_revenue = _target_field("min_monthly_revenue")
    min_monthly_won_orders = _target_field("min_monthly_won_orders")
    min_monthly_calls = _target_field("min_monthly_calls")
    uptime_percent = _target_field("uptime_percent")
    time_zone = forms.ChoiceField(
        choices=[(zone, zone) for zone in sorted(available_timezones())],
        initial="UTC",
        help_text="Working hours and holidays are in this time zone.",
    )
    working_days = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    working_hours_start = forms.CharField(
        label="Working hours start", widget=forms.TimeInput(attrs={"type": "time"})
    )
    working_hours_end = forms.CharField(
        label="Working hours end", widget=forms.TimeInput(attrs={"type": "time"})
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Days without support, one per line, like 2026-12-25.",
    )
    escalation_name = forms.CharField(label="Escalation contact", max_length=200, required=False)
    escalation_email = forms.CharField(
        label="Escalation e-mail", required=False, widget=forms.EmailInput()
    )
    review_cadence = forms.ChoiceField(
        choices=ReviewCadence.choices,
        initial=ReviewCadence.QUARTERLY,
        help_text="How often the policy is reviewed with the partners.",
    )
    is_default = forms.BooleanField(
        label="Make this the default policy",
        required=False,
        help_text="New partners get the default policy unless another is chosen.",
    )

    def __init__(self, *args: Any, policy: SlaPolicy | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        if policy is not None:
            del self.fields["slug"]  # files and API clients know the policy by it
            if policy.is_default:
                del self.fields["is_default"]  # only another policy can take it over

    @staticmethod
    def initial_from(data: dict[str, Any]) -> dict[str, Any]:
        """Form values from a policy in the API's form (services.policy_data)."""
        initial = {key: ("" if value is None else value) for key, value in data.items()}
        initial["holidays"] = "\n".join(data.get("holidays") or [])
        initial.pop("is_default", None)
        return initial

    def service_data(self) -> dict[str, Any]:
        """The cleaned input in the field names and forms sla_policy_save takes."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self.fields and name != "is_default"
        }
        data["holidays"] = [day for day in re.split(r"[\s,;]+", data["holidays"]) if day]
        if self.cleaned_data.get("is_default"):
            data["is_default"] = True
        return data

    def sections(self) -> list[tuple[str, list[tuple[forms.BoundField, str]]]]:
        """Fields in titled groups, each with the grid columns it takes."""
        wide, half, third = "col-12", "col-md-6", "col-sm-6 col-lg-4"
        groups = [
            ("Policy", [("name", half), ("slug", half), ("description", wide)]),
            ("", [("policies", wide)]),
            ("Targets", [(field, third) for field in TARGET_FIELDS]),
            (
                "Support calendar",
                [
                    ("time_zone", half),
                    ("working_days", wide),
                    ("working_hours_start", third),
                    ("working_hours_end", third),
                    ("holidays", half),
                ],
            ),
            (
                "Escalation and review",
                [
                    ("escalation_name", half),
                    ("escalation_email", half),
                    ("review_cadence", half),
                    ("is_default", wide),
                ],
            ),
        ]
        return [
            (title, [(self[name], columns) for name, columns in fields if name in self.fields])
            for title, fields in groups
        ]


class DefaultPolicyForm(forms.Form):
    policy = forms.ChoiceField(label="Default policy")

    def __init__(self, *args: Any, policies: QuerySet[SlaPolicy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["policy"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (policy.slug, f"{policy.name} (version {policy.version})") for policy in policies
        ]


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.ref})"


class PartnerRequestForm(forms.Form):
    partner = PartnerChoiceField(queryset=None, to_field_name="ref", empty_label="Choose…")
    kind = forms.ChoiceField(
        choices=RequestKind.choices,
        initial=RequestKind.SUPPORT,
        help_text="A lead is timed against the lead acceptance target, the rest against "
        "first response and resolution.",
    )
    subject = forms.CharField(max_length=200, help_text="In a few words, what is needed.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, partners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["partner"]
        assert isinstance(field, PartnerChoiceField)
        field.queryset = partners.order_by("name", "ref")


class OverrideForm(forms.Form):
    """One field per target; empty inherits the policy's value (shown as placeholder)."""

    def __init__(self, *args: Any, policy: SlaPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in TARGET_FIELDS:
            inherited = getattr(policy, field)
            shown = format_target(inherited, TARGET_UNITS[field]) if inherited is not None else ""
            self.fields[field] = _target_field(field)
            self.fields[field].widget.attrs["placeholder"] = (
                f"{_plain(inherited)} (inherited)" if inherited is not None else "none (inherited)"
            )
            self.fields[field].help_text = f"Empty inherits {policy.name}: " + (
                f"{shown}." if inherited is not None else "no target."
            )


def _plain(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


class RequestReplyForm(forms.Form):
    """The vendor's reply to a partner request: written, reviewed, then sent. The token
    makes sending twice (a double click, a reload) store and mail it once."""

    body = forms.CharField(
        label="Reply to the partner",
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,  # the service says what is missing, in its words
        help_text="The partner's users read it in the portal and by e-mail. Markdown "
        "(**bold**, - lists, [links](https://…)) is shown formatted.",
    )
    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form was not complete; reload the request and write the reply again.",
            "invalid": "This form was not complete; reload the request and write the reply again.",
        },
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
