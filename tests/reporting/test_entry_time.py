"""The time of a call or contact typed into a form (staff activity pages and the
partner portal): the form starts at now in the tenant's zone, takes that default back
on the first submit, stores the instant it means, and refuses a time in the future."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from reporting.models import Call, Lead
from tests.conftest import TenantClient, tenant_schema
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def default_time(page: str, field: str) -> str:
    match = re.search(rf'<input type="datetime-local" name="{field}"[^>]* value="([^"]*)"', page)
    assert match is not None, page
    return match.group(1)


def local(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=NEW_YORK)


def call_form(**fields: str) -> dict[str, str]:
    return {"direction": "made", "counterpart": "customer", "duration_minutes": "5", **fields}


def test_a_staff_call_logged_with_the_default_time_is_stored_at_the_tenants_now(
    new_york_alpha: Any, alpha_manager: TenantClient
) -> None:
    # given alpha keeps New York time, and a partner
    with tenant_schema(new_york_alpha):
        partner = PartnerFactory.create(ref="ny-callee")
    # when a manager opens "Log a call"
    before = timezone.now().replace(second=0, microsecond=0)
    shown = default_time(alpha_manager.get("/activity/calls/new/").content.decode(), "occurred_at")
    # then the picker holds now in New York (not in UTC, five hours ahead)
    assert before <= local(shown) <= timezone.now()
    # and the first submit with that default stores it as the instant it means
    response = alpha_manager.post(
        "/activity/calls/new/", call_form(partner=partner.ref, occurred_at=shown)
    )
    assert response.status_code == 302, response.content.decode()
    with tenant_schema(new_york_alpha):
        assert Call.objects.get(partner=partner).occurred_at == local(shown)


@pytest.mark.parametrize(
    ("path", "field", "model"),
    [("/portal/calls/new/", "occurred_at", Call), ("/portal/contacts/new/", "created_at", Lead)],
)
def test_the_portal_forms_take_their_default_time_on_the_first_submit(
    new_york_alpha: Any, alpha_partner: TenantClient, path: str, field: str, model: Any
) -> None:
    # given alpha keeps New York time; when its partner user opens a form
    shown = default_time(alpha_partner.get(path).content.decode(), field)
    # and sends it as it came, with only what has no default filled in
    response = alpha_partner.post(path, {**call_form(), "source": "web", field: shown})
    # then it is stored for the user's partner at the time shown, read in New York
    assert response.status_code == 302, response.content.decode()
    with tenant_schema(new_york_alpha):
        row = model.objects.get(partner__users__user=alpha_partner.user)
        assert getattr(row, field) == local(shown)


@pytest.mark.parametrize(
    ("path", "form", "model", "message"),
    [
        (
            "/activity/calls/new/",
            lambda ref, at: call_form(partner=ref, occurred_at=at),
            Call,
            "This time is in the future; log a call once it has happened",
        ),
        (
            "/activity/contacts/new/",
            lambda ref, at: {"partner": ref, "created_at": at},
            Lead,
            "This time is in the future; log a contact once it was generated",
        ),
        (
            "/activity/contacts/new/",
            lambda ref, at: {
                "partner": ref,
                "created_at": timezone.localtime(timezone.now(), NEW_YORK).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
                "converted_at": at,
            },
            Lead,
            "leave it empty until the contact converts",
        ),
    ],
)
def test_a_time_in_the_future_is_refused_and_nothing_is_stored(
    new_york_alpha: Any,
    alpha_manager: TenantClient,
    path: str,
    form: Any,
    model: Any,
    message: str,
) -> None:
    # given a partner of alpha (New York time)
    with tenant_schema(new_york_alpha):
        partner = PartnerFactory.create(ref="ny-future")
    # when a row is logged for tomorrow, or 2030
    for moment in (timezone.now() + timedelta(days=1), datetime(2030, 1, 1, tzinfo=NEW_YORK)):
        typed = timezone.localtime(moment, NEW_YORK).strftime("%Y-%m-%dT%H:%M")
        response = alpha_manager.post(path, form(partner.ref, typed))
        # then the form says so, and nothing is stored
        assert response.status_code == 200
        assert message in response.content.decode()
    with tenant_schema(new_york_alpha):
        assert not model.objects.filter(partner=partner).exists()


def test_a_time_a_few_minutes_ahead_is_clock_skew_and_accepted(
    new_york_alpha: Any, alpha_partner: TenantClient
) -> None:
    # when a partner user's call is typed two minutes ahead of the server's clock
    ahead = timezone.localtime(timezone.now() + timedelta(minutes=2), NEW_YORK)
    response = alpha_partner.post(
        "/portal/calls/new/", call_form(occurred_at=ahead.strftime("%Y-%m-%dT%H:%M"))
    )
    # then it is logged; ten minutes ahead is not
    assert response.status_code == 302, response.content.decode()
    later = timezone.localtime(timezone.now() + timedelta(minutes=10), NEW_YORK)
    response = alpha_partner.post(
        "/portal/calls/new/", call_form(occurred_at=later.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 200
    assert "log a call once it has happened" in response.content.decode()
