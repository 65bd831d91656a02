"""Manual entry of calls and contacts goes through the ingestion service."""

import re
from typing import Any

import pytest

from reporting.models import Call, Lead, PendingRollup
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_a_manager_logs_a_call_and_it_is_pending_for_the_rollups(
    alpha_manager: Any, in_tenant: Any, tenant_a: Any
) -> None:
    # given a partner
    with in_tenant(tenant_a):
        partner = PartnerFactory.create(ref="callee")
    # when the manager logs a call in the browser
    response = alpha_manager.post(
        "/activity/calls/new/",
        {
            "partner": "callee",
            "direction": "made",
            "counterpart": "channel_team",
            "duration_minutes": "12.5",
            "occurred_at": "2026-11-20T10:15",
        },
    )
    # then it is stored like an API row, and its day waits to be folded
    assert response.status_code == 302
    with in_tenant(tenant_a):
        call = Call.objects.get(partner=partner)
        assert call.external_id.startswith("manual-")
        assert (call.direction, call.counterpart, call.duration_seconds) == (
            "made",
            "channel_team",
            750,
        )
        assert PendingRollup.objects.filter(partner_id=partner.pk).exists()


def test_an_invalid_contact_shows_the_service_error_and_stores_nothing(
    alpha_manager: Any, in_tenant: Any, tenant_a: Any
) -> None:
    # given a partner
    with in_tenant(tenant_a):
        PartnerFactory.create(ref="leadgen")
    # when a contact is logged as converted before it was generated
    response = alpha_manager.post(
        "/activity/contacts/new/",
        {
            "partner": "leadgen",
            "source": "web",
            "created_at": "2026-11-20T10:00",
            "converted_at": "2026-11-19T10:00",
        },
    )
    # then the form shows the ingestion service's message and nothing is stored
    assert response.status_code == 200
    assert "converted_at is before created_at" in response.content.decode()
    with in_tenant(tenant_a):
        assert not Lead.objects.exists()


def test_partner_users_cannot_enter_activity(alpha_partner: Any) -> None:
    assert alpha_partner.get("/activity/calls/new/").status_code == 403
    assert alpha_partner.get("/activity/").status_code == 403


@pytest.mark.parametrize(
    ("path", "field"),
    [("/activity/calls/new/", "occurred_at"), ("/activity/contacts/new/", "created_at")],
)
def test_the_time_field_starts_at_now_in_the_form_a_browser_takes(
    alpha_manager: Any, path: str, field: str
) -> None:
    # when a manager opens the form
    page = alpha_manager.get(path).content.decode()
    # then its date-and-time picker holds now, written as a datetime-local value
    # (a browser drops "Dec. 2, 2026, 6:35 p.m.", leaving the field empty)
    match = re.search(rf'<input type="datetime-local" name="{field}"[^>]* value="([^"]*)"', page)
    assert match is not None, page
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", match.group(1))


def test_a_field_sent_empty_comes_back_empty_with_its_error(alpha_manager: Any) -> None:
    # when a manager sends the call form with its time and duration left empty
    response = alpha_manager.post(
        "/activity/calls/new/",
        {
            "direction": "made",
            "counterpart": "channel_team",
            "duration_minutes": "",
            "occurred_at": "",
        },
    )
    page = response.content.decode()
    # then the form comes back with the errors, and the fields empty (not "None")
    assert response.status_code == 200
    for field in ("occurred_at", "duration_minutes"):
        match = re.search(rf'<input type="[^"]+" name="{field}"[^>]*>', page)
        assert match is not None, field
        assert 'value="None"' not in match.group(0)
        assert 'value=""' in match.group(0), match.group(0)
    assert "This field is required." in page
