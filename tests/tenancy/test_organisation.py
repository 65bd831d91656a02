"""The organisation's settings: the page at /settings/organisation/ and the API at
/api/v1/tenant/ change the tenant's name, time zone, currency and locale (and the page
its base SLA policy) through prm.tenancy.services.tenant_update, for administrators
only; the next request reads them, whatever the cached tenant of its host was."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from django.urls import reverse

from prm.tenancy.models import Tenant
from prm.tenancy.selectors import tenant_get_for_host, tenant_host_cache_clear
from prm.web.access import PROGRAMME_REFUSAL
from reporting.models import Order
from slas.selectors import sla_policy_default
from slas.services import sla_policy_save
from tests.conftest import TenantClient, host_of, tenant_schema
from tests.factories import PartnerFactory

PAGE = "/settings/organisation/"
API = "/api/v1/tenant/"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def settings_of(tenant: Any) -> tuple[str, str, str, str]:
    row = Tenant.objects.get(pk=tenant.pk)
    return row.name, row.time_zone, row.currency, row.locale


@pytest.fixture
def alpha_settings(db: None, tenant_a: Any) -> Iterator[Any]:
    """alpha as it is; its host's cached tenant is forgotten after the test, whose
    rollback puts the row back (the cache in Redis is not rolled back)."""
    yield tenant_a
    tenant_host_cache_clear(hostname=host_of(tenant_a))


def form_data(tenant: Any, **changes: str) -> dict[str, str]:
    with tenant_schema(tenant):
        default = sla_policy_default().slug
    data = {
        "name": tenant.name,
        "time_zone": tenant.time_zone,
        "currency": tenant.currency,
        "locale": tenant.locale,
        "default_sla": default,
    }
    return {**data, **changes}


def test_the_form_shows_the_tenants_settings_and_saves_them_unchanged(
    alpha_settings: Any, alpha_admin: TenantClient
) -> None:
    # when the administrator opens the page
    page = alpha_admin.get(reverse("console:organisation"))

    # then the form has the tenant's settings, with choices for each
    assert page.status_code == 200
    form = page.context["form"]
    assert form["time_zone"].value() == alpha_settings.time_zone
    assert ("Europe/Berlin", "Europe/Berlin") in form.fields["time_zone"].choices
    assert ("EUR", "EUR · Euro") in form.fields["currency"].choices
    assert any(code == "de_DE" for code, _label in form.fields["locale"].choices)
    # and submitting it as it is changes nothing, and says so
    saved = alpha_admin.post(PAGE, {**form.initial}, follow=True)
    assert "Nothing changed." in text(saved)
    assert settings_of(alpha_settings) == (
        alpha_settings.name,
        alpha_settings.time_zone,
        alpha_settings.currency,
        alpha_settings.locale,
    )


def test_a_new_zone_currency_and_locale_are_read_by_the_next_request(
    alpha_settings: Any, alpha_admin: TenantClient
) -> None:
    # given a partner with an order of 45,900.00 at 11:30 UTC on 28 February (00:30 on
    # 1 March in Auckland), and alpha's host served from the cache
    with tenant_schema(alpha_settings):
        partner = PartnerFactory.create(ref="kiwi")
        Order.objects.create(
            external_id="kiwi-1",
            partner=partner,
            status="open",
            amount=Decimal("45900.00"),
            ordered_at=datetime(2026, 2, 28, 11, 30, tzinfo=UTC),
        )
    assert alpha_admin.get(reverse("partners:detail", args=["kiwi"])).status_code == 200
    cached = tenant_get_for_host(hostname=host_of(alpha_settings))
    assert cached is not None
    assert cached.currency == "USD"

    # when the administrator moves alpha to Auckland, euros and German formats
    saved = alpha_admin.post(
        PAGE,
        form_data(
            alpha_settings,
            name="Alpha Neuseeland",
            time_zone="Pacific/Auckland",
            currency="EUR",
            locale="de_DE",
        ),
        follow=True,
    )

    # then the page says what changed, and the row has it
    assert "Saved: the name, time zone, currency and number and date formats are changed." in text(
        saved
    )
    assert settings_of(alpha_settings) == (
        "Alpha Neuseeland",
        "Pacific/Auckland",
        "EUR",
        "de_DE",
    )
    # and the very next page shows the amount in euros, German style, on Auckland's day,
    # under the new name
    page = text(alpha_admin.get(reverse("partners:detail", args=["kiwi"])))
    assert format_currency(Decimal("45900.00"), "EUR", locale="de_DE") in page
    assert format_date(date(2026, 3, 1), "medium", locale="de_DE") in page
    assert "Alpha Neuseeland" in page


def test_the_base_sla_policy_is_set_through_the_slas_service(
    alpha_settings: Any, alpha_admin: TenantClient
) -> None:
    # given a second policy
    with tenant_schema(alpha_settings):
        before = sla_policy_default()
        sla_policy_save(data={"slug": "premium", "name": "Premium"}, actor=None)

    # when the administrator makes it the base policy
    saved = alpha_admin.post(PAGE, form_data(alpha_settings, default_sla="premium"), follow=True)

    # then it is the default, a new version of it records who did it, and the old one is not
    assert "Saved: the base SLA policy is changed." in text(saved)
    with tenant_schema(alpha_settings):
        default = sla_policy_default()
        assert default.slug == "premium"
        assert default.versions.get(number=default.version).created_by == alpha_admin.user
        before.refresh_from_db()
        assert before.is_default is False


def test_bad_settings_are_refused_inline_and_nothing_changes(
    alpha_settings: Any, alpha_admin: TenantClient
) -> None:
    # given the tenant as it is, and its default policy
    was = settings_of(alpha_settings)
    with tenant_schema(alpha_settings):
        default = sla_policy_default().slug

    # when the form is posted with an empty name, a zone, a currency, a locale and a
    # policy that do not exist
    page = alpha_admin.post(
        PAGE,
        {
            "name": "  ",
            "time_zone": "Mars/Olympus",
            "currency": "XYZ1",
            "locale": "xx_XX",
            "default_sla": "nope",
        },
    )

    # then every field is marked, the page says nothing was saved, and nothing was
    assert page.status_code == 200
    assert sorted(page.context["form"].errors) == [
        "currency",
        "default_sla",
        "locale",
        "name",
        "time_zone",
    ]
    assert "Nothing was saved." in text(page)
    assert settings_of(alpha_settings) == was
    with tenant_schema(alpha_settings):
        assert sla_policy_default().slug == default


def test_managers_and_partner_users_may_not_open_the_settings(
    alpha_settings: Any, alpha_manager: TenantClient, alpha_partner: TenantClient
) -> None:
    was = settings_of(alpha_settings)

    # when a manager opens or posts the page, then it is refused with the rule's words
    assert PROGRAMME_REFUSAL in text(alpha_manager.get(PAGE))
    for client in (alpha_manager, alpha_partner):
        response = client.post(PAGE, form_data(alpha_settings, currency="EUR"))
        assert response.status_code == 403

    # and nothing changed
    assert settings_of(alpha_settings) == was


# --- the API ---------------------------------------------------------------------------


def test_the_api_reads_and_changes_the_settings(
    alpha_settings: Any, alpha_api: TenantClient, api_client: Any
) -> None:
    # when a read key reads the settings
    read_only = api_client(alpha_settings, scopes=["read"])
    body = read_only.get(API).json()

    # then they are the tenant's
    assert {key: body[key] for key in ("slug", "currency", "time_zone", "locale")} == {
        "slug": "alpha",
        "currency": alpha_settings.currency,
        "time_zone": alpha_settings.time_zone,
        "locale": alpha_settings.locale,
    }
    # and it may not change them
    refused = read_only.patch(API, {"currency": "EUR"}, content_type="application/json")
    assert refused.status_code == 403

    # when a write key changes the currency (in lower case) and the zone
    changed = alpha_api.patch(
        API, {"currency": "eur", "time_zone": "Europe/Berlin"}, content_type="application/json"
    )

    # then the answer and the next request have them
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["currency"], changed.json()["time_zone"]) == ("EUR", "Europe/Berlin")
    assert read_only.get(API).json()["currency"] == "EUR"
    assert settings_of(alpha_settings)[1:3] == ("Europe/Berlin", "EUR")


def test_the_api_refuses_bad_settings_by_field_and_managers(
    alpha_settings: Any, alpha_api: TenantClient, alpha_manager: TenantClient
) -> None:
    was = settings_of(alpha_settings)

    # when a write key sends a bad zone and a bad currency with a good name
    response = alpha_api.patch(
        API,
        {"name": "Renamed", "time_zone": "Nowhere/Special", "currency": "EURO"},
        content_type="application/json",
    )

    # then it answers 400 naming both fields, and changes nothing (the name neither)
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["currency", "time_zone"]
    assert (
        "is not a time zone; use a name like Europe/Berlin."
        in (response.json()["errors"]["time_zone"][0])
    )
    # and a manager's session is refused
    manager = alpha_manager.patch(API, {"name": "Mine"}, content_type="application/json")
    assert manager.status_code == 403
    assert manager.json()["message"] == PROGRAMME_REFUSAL
    assert settings_of(alpha_settings) == was


def test_a_new_zone_moves_the_base_policys_working_hours_if_they_were_in_the_old_one(
    alpha_settings: Any, alpha_admin: TenantClient, alpha_api: TenantClient
) -> None:
    # given alpha in UTC, its default policy's hours in UTC, another policy in Tokyo
    with tenant_schema(alpha_settings):
        default = sla_policy_default()
        assert (alpha_settings.time_zone, default.time_zone) == ("UTC", "UTC")
        tokyo, _ = sla_policy_save(
            data={"slug": "tokyo", "name": "Tokyo", "time_zone": "Asia/Tokyo"}, actor=None
        )

    # when the administrator moves alpha to Berlin on the page
    saved = alpha_admin.post(
        PAGE, form_data(alpha_settings, time_zone="Europe/Berlin"), follow=True
    )

    # then the default policy's hours are in Berlin too, in a new version by the admin,
    # the page says so, and the Tokyo policy keeps its own zone
    assert "The base SLA policy's working hours are in Europe/Berlin now too." in text(saved)
    with tenant_schema(alpha_settings):
        default = sla_policy_default()
        assert default.time_zone == "Europe/Berlin"
        version = default.versions.get(number=default.version)
        assert (version.changed_fields, version.created_by) == (["time_zone"], alpha_admin.user)
        tokyo.refresh_from_db()
        assert tokyo.time_zone == "Asia/Tokyo"

    # when an integration moves it on to Lisbon through the API, then the policy follows
    moved = alpha_api.patch(API, {"time_zone": "Europe/Lisbon"}, content_type="application/json")
    assert moved.status_code == 200
    with tenant_schema(alpha_settings):
        assert sla_policy_default().time_zone == "Europe/Lisbon"


def test_a_base_policy_in_a_zone_of_its_own_keeps_it(
    alpha_settings: Any, alpha_admin: TenantClient
) -> None:
    # given a default policy whose hours are Tokyo's while alpha is in UTC
    with tenant_schema(alpha_settings):
        sla_policy_save(data={"time_zone": "Asia/Tokyo"}, policy=sla_policy_default(), actor=None)

    # when alpha moves to Berlin
    saved = alpha_admin.post(
        PAGE, form_data(alpha_settings, time_zone="Europe/Berlin"), follow=True
    )

    # then the policy's hours stay in Tokyo, and the page says only what it changed
    assert "Saved: the time zone is changed." in text(saved)
    assert "working hours are in" not in text(saved)
    with tenant_schema(alpha_settings):
        assert sla_policy_default().time_zone == "Asia/Tokyo"
