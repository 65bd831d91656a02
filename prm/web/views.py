"""Pages of the base UI: the public landing page and tenant settings (the home page is
the console's)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm.accounts.selectors import api_key_list, people_counts
from prm.accounts.services import api_key_create, api_key_update
from prm.accounts.services import api_key_revoke as api_key_revoke_service
from prm.api.throttling import default_key_rate
from prm.webhooks.selectors import delivery_list, delivery_log, subscription_list
from prm.webhooks.services import delivery_redeliver, subscription_create, subscription_update

from .access import admin_required, public_view
from .forms import (
    ApiKeyCreateForm,
    ApiKeyEditForm,
    WebhookForm,
    form_errors_from,
)


@public_view
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "web/landing.html")


# Settings' sections: (key, label, URL name, anchor on that page, icon). The pages of
# the console door (people, organisation) are named here, never imported.
SETTINGS_SECTIONS = (
    ("people", "People", "console:people", "", "people"),
    ("organisation", "Organisation", "console:organisation", "", "building-gear"),
    ("api-keys", "API keys", "web:settings", "#api-keys", "key"),
    ("webhooks", "Webhooks", "web:settings", "#webhooks", "broadcast"),
)


def settings_nav(active: str) -> list[dict[str, Any]]:
    """The sub-navigation every settings page shows, `active` marked."""
    return [
        {
            "key": key,
            "label": label,
            "url": reverse(url_name) + anchor,
            "icon": icon,
            "active": key == active,
        }
        for key, label, url_name, anchor, icon in SETTINGS_SECTIONS
    ]


@admin_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/settings.html",
        {
            "settings_nav": settings_nav("api-keys"),
            "people": people_counts(),
            "people_url": reverse("console:people"),
            "api_keys": api_key_list(),
            "default_rate_limit": _default_rate_limit(request),
            "webhooks": subscription_list(),
        },
    )


def _default_rate_limit(request: HttpRequest) -> str:
    """What a key without a limit of its own gets, as people read it."""
    count, _, period = default_key_rate(getattr(request, "tenant", None)).partition("/")
    return f"{count} a {period or 'minute'}"


@admin_required
def user_new(request: HttpRequest) -> HttpResponse:
    """The old "Add a person" address: people are invited now (Settings → People)."""
    return redirect("console:person_invite")


@admin_required
def api_key_new(request: HttpRequest) -> HttpResponse:
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api_key, key = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,  # type: ignore[arg-type]
                rate_limit=form.cleaned_data["rate_limit"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            # Rendered, never redirected or stored: the key is shown exactly once.
            response = render(request, "web/api_key_created.html", {"api_key": api_key, "key": key})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "web/api_key_new.html", {"form": form})


@admin_required
def api_key_edit(request: HttpRequest, api_key_id: int) -> HttpResponse:
    api_key = get_object_or_404(api_key_list().filter(revoked_at=None), pk=api_key_id)
    form = ApiKeyEditForm(
        request.POST or None, initial={"name": api_key.name, "rate_limit": api_key.rate_limit}
    )
    if request.method == "POST" and form.is_valid():
        try:
            api_key_update(
                api_key=api_key,
                name=form.cleaned_data["name"],
                rate_limit=form.cleaned_data["rate_limit"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"The key “{api_key.name}” is saved.")
            return redirect("web:settings")
    return render(
        request,
        "web/api_key_edit.html",
        {"form": form, "api_key": api_key, "default_rate_limit": _default_rate_limit(request)},
    )


@admin_required
@require_POST
def api_key_revoke(request: HttpRequest, api_key_id: int) -> HttpResponse:
    api_key = get_object_or_404(api_key_list(), pk=api_key_id)
    with transaction.atomic():
        api_key_revoke_service(api_key=api_key, revoked_by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"The key “{api_key.name}” is revoked and no longer works.")
    return redirect("web:settings")


@admin_required
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = subscription_create(
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            # Rendered, never stored in clear elsewhere: the secret is shown exactly once.
            response = render(
                request,
                "web/webhook_created.html",
                {"subscription": subscription, "secret": secret},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "web/webhook_new.html", {"form": form})


@admin_required
def webhook_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = get_object_or_404(subscription_list(), pk=subscription_id)
    deliveries = delivery_log(subscription=subscription)[:50]
    return render(
        request, "web/webhook_detail.html", {"subscription": subscription, "deliveries": deliveries}
    )


@admin_required
@require_POST
def webhook_toggle(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = get_object_or_404(subscription_list(), pk=subscription_id)
    try:
        # Enabling checks the URL again: its name may point somewhere else by now.
        subscription_update(subscription=subscription, is_active=not subscription.is_active)
    except ValidationError as error:
        messages.error(request, f"The webhook stays disabled: {' '.join(error.messages)}")
    else:
        state = "enabled" if subscription.is_active else "disabled"
        messages.success(request, f"The webhook to {subscription.url} is {state}.")
    return redirect("web:webhook_detail", subscription_id=subscription.pk)


@admin_required
@require_POST
def webhook_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(delivery_list(), pk=delivery_id)
    try:
        delivery_redeliver(delivery=delivery)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The {delivery.event} event is queued for delivery again.")
    return redirect("web:webhook_detail", subscription_id=delivery.subscription_id)
