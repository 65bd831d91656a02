"""The API key and webhook pages of Settings: each has a title of its own and a way
back to Settings, like the People and Organisation pages."""

from __future__ import annotations

import re

import pytest

from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db

SETTINGS_CRUMB = '<li class="breadcrumb-item"><a href="/settings/">Settings</a></li>'


def _title(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    assert match is not None
    return match.group(1).strip()


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/settings/api-keys/new/", "Create an API key · "),
        ("/settings/api-keys/{key}/", "Edit API key · "),
        ("/settings/webhooks/new/", "Add a webhook · "),
    ],
)
def test_api_key_and_webhook_forms_are_titled_and_lead_back_to_settings(
    path: str, title: str, alpha_admin: TenantClient, alpha_api: TenantClient
) -> None:
    # given an API key of the tenant (for its edit page)
    url = path.format(key=alpha_api.api_key.pk)

    # when the administrator opens the page
    response = alpha_admin.get(url)

    # then its title names the page before the tenant, and a breadcrumb leads to Settings
    assert response.status_code == 200
    page = response.content.decode()
    assert _title(page).startswith(title), _title(page)
    assert SETTINGS_CRUMB in page


def test_a_created_api_key_page_is_titled_and_leads_back_to_settings(
    alpha_admin: TenantClient,
) -> None:
    # when the administrator creates a key with the form's defaults and a name
    response = alpha_admin.post(
        "/settings/api-keys/new/", {"name": "Walk key", "scopes": ["read"], "rate_limit": ""}
    )

    # then the page showing the key once says so in its title, with the way back
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    assert _title(page).startswith("API key created · ")
    assert SETTINGS_CRUMB in page


def test_the_webhook_form_sent_empty_says_what_each_field_needs(
    alpha_admin: TenantClient,
) -> None:
    # when the administrator sends the webhook form with its defaults (nothing filled in)
    # (a browser sends the empty fields, so the form is bound)
    response = alpha_admin.post("/settings/webhooks/new/", {"url": "", "description": ""})

    # then each missing field says what to give, not "This field is required."
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the https:// address that receives the events." in page
    assert "Tick at least one event for the receiver to be sent." in page
    assert "This field is required." not in page
