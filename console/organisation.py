"""The organisation's settings page, /settings/organisation/ (the administrator's): the
tenant's name, time zone, currency and locale and its base SLA policy, the default new
partners get, written together by console.organisation_services.organisation_update."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from prm.accounts.selectors import acting_user
from prm.tenancy import options
from prm.tenancy.models import Tenant
from prm.web.access import programme_admin_required
from prm.web.forms import form_errors_from
from prm.web.views import settings_nav
from slas import selectors as sla_selectors

from .organisation_services import organisation_update

SETTING_LABELS = {
    "name": "name",
    "time_zone": "time zone",
    "currency": "currency",
    "locale": "number and date formats",
    "default_sla": "base SLA policy",
}


def _with_current(choices: list[tuple[str, str]], current: str) -> list[tuple[str, str]]:
    """The choices, plus the tenant's current value if it is not among them (a zone
    alias or a locale set through the API), so saving the form keeps it."""
    if current and current not in {value for value, _label in choices}:
        return [(current, current), *choices]
    return choices


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label="Organisation name",
        max_length=200,
        help_text="Shown in the navigation bar, on the sign-in page and in e-mails.",
    )
    time_zone = forms.ChoiceField(
        help_text="The organisation's days (reports, “this month”, deadlines) are days in "
        "this zone, and times are shown in it. Days already summed in reports stay as "
        "they were counted.",
    )
    currency = forms.ChoiceField(
        help_text="The currency of every amount: orders sent by integrations, minimum "
        "revenue targets and reports. Changing it converts nothing."
    )
    locale = forms.ChoiceField(
        label="Number and date formats",
        help_text="How numbers, amounts and dates are written on every page.",
    )
    default_sla = forms.ChoiceField(
        label="Base SLA policy",
        help_text="The policy new partners get unless another is chosen; existing partners "
        "keep theirs.",
    )

    def __init__(self, *args: Any, tenant: Tenant, policies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("time_zone", [(zone, zone) for zone in options.time_zones()], tenant)
        self._set_choices(
            "currency",
            [(code, options.currency_label(code)) for code in options.currencies()],
            tenant,
        )
        self._set_choices(
            "locale",
            [(code, options.locale_label(code)) for code in options.OFFERED_LOCALES],
            tenant,
        )
        field = self.fields["default_sla"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (policy.slug, f"{policy.name} (version {policy.version})") for policy in policies
        ]

    def _set_choices(self, name: str, choices: list[tuple[str, str]], tenant: Tenant) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _with_current(choices, str(getattr(tenant, name)))


def _tenant(request: HttpRequest) -> Tenant:
    tenant = getattr(request, "tenant", None)
    assert isinstance(tenant, Tenant)  # the console is only routed on tenant hosts
    return tenant


@programme_admin_required
def organisation(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    policies = list(sla_selectors.sla_policy_list())
    default = sla_selectors.sla_policy_default()
    initial = {
        "name": tenant.name,
        "time_zone": tenant.time_zone,
        "currency": tenant.currency,
        "locale": tenant.locale,
        "default_sla": default.slug,
    }
    form = OrganisationForm(request.POST or None, initial=initial, tenant=tenant, policies=policies)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        chosen = next(policy for policy in policies if policy.slug == data.pop("default_sla"))
        try:
            change = organisation_update(
                tenant=tenant, actor=acting_user(request), base_policy=chosen, **data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            if change.changed:
                names = [SETTING_LABELS[field] for field in change.changed]
                messages.success(request, f"Saved: the {_and(names)} {_is_are(names)} changed.")
                if change.zone_after != change.zone_before:
                    messages.info(
                        request,
                        f"The base SLA policy's working hours are in {change.zone_after} now too.",
                    )
            else:
                messages.info(request, "Nothing changed.")
            return redirect("console:organisation")
    return render(
        request,
        "console/organisation.html",
        {
            "form": form,
            "default": default,
            "tenant": tenant,
            "settings_nav": settings_nav("organisation"),
        },
    )


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _is_are(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"
