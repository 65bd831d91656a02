"""The partner portal's pages and forms, as partner X's user, with partner Y's data
in the same tenant."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners.models import Partner
from portal.services import portal_profile_update
from prm.accounts.models import Role
from prm.accounts.services import user_create
from prm.webhooks.models import Delivery
from prm.webhooks.services import subscription_create
from reporting.models import Call, Lead, Order
from reporting.rollups import fold_all
from slas.models import ClockState, Notification, PartnerRequest, PartnerSlaOverride, SlaPolicy
from slas.selectors import effective_targets
from tests.conftest import TenantClient, client_for, log_in, tenant_schema
from tests.portal.conftest import PortalPartner

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- the pages --------------------------------------------------------------------------


def test_the_overview_shows_the_partner_its_manager_and_its_terms(
    x_client: TenantClient, partner_x: PortalPartner, partner_y: PortalPartner
) -> None:
    # when X's user opens the portal
    response = x_client.get("/portal/")

    # then it shows X, its channel manager, the tier's terms and X's own benefits
    assert response.status_code == 200
    page = _text(response)
    manager = partner_x.partner.channel_manager
    assert partner_x.partner.name in page
    assert manager.full_name in page
    assert f"mailto:{manager.email}" in page
    assert f"Roles of tier {partner_x.marker}" in page
    assert f"Duties of tier {partner_x.marker}" in page
    assert f"Own benefits {partner_x.marker}" in page
    assert f"Benefits of tier {partner_x.marker}" not in page  # overridden for X
    assert partner_x.order_ids[0] in page
    # and nothing of Y
    assert partner_y.marker not in page


@pytest.mark.parametrize(
    "path",
    [
        "/portal/profile/",
        "/portal/profile/edit/",
        "/portal/scorecard/",
        "/portal/sla/",
        "/portal/requests/",
        "/portal/requests/new/",
        "/portal/orders/",
        "/portal/calls/",
        "/portal/calls/new/",
        "/portal/contacts/",
        "/portal/contacts/new/",
    ],
)
def test_every_page_is_the_partners_own(
    x_client: TenantClient, partner_x: PortalPartner, partner_y: PortalPartner, path: str
) -> None:
    response = x_client.get(path)
    assert response.status_code == 200
    page = _text(response)
    assert partner_x.partner.name in page
    assert partner_y.marker not in page


def test_only_partner_users_get_the_portal(
    alpha_manager: TenantClient, alpha_admin: TenantClient, client_a: TenantClient, tenant_a: Any
) -> None:
    # staff are refused, strangers are asked to sign in
    assert alpha_manager.get("/portal/").status_code == 403
    assert alpha_admin.get("/portal/orders/export/").status_code == 403
    response = client_a.get("/portal/sla/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # and a partner-role user linked to no partner is refused, not shown an empty portal
    with tenant_schema(tenant_a):
        orphan = user_create(email="orphan@example.com", password=None, role=Role.PARTNER)
    assert log_in(client_for(tenant_a), tenant_a, orphan).get("/portal/").status_code == 403


def test_a_partner_user_lands_on_the_portal_after_signing_in(
    partner_x: PortalPartner, tenant_a: Any
) -> None:
    from tests.factories import DEFAULT_PASSWORD

    browser = client_for(tenant_a)
    response = browser.post(
        "/accounts/login/",
        {"username": partner_x.user.email, "password": DEFAULT_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/portal/"
    assert partner_x.partner.name in _text(response)


# --- profile ------------------------------------------------------------------------------


def _profile_form(partner: Partner, **changes: str) -> dict[str, str]:
    data = {
        "contact_name": partner.contact_name,
        "contact_email": partner.contact_email,
        "contact_phone": "",
        "phone": "",
        "street": partner.street,
        "city": partner.city,
        "region": partner.region,
        "postal_code": partner.postal_code,
        "country": str(partner.country or ""),
        "primary_dns": partner.primary_dns,
        "secondary_dns": partner.secondary_dns,
    }
    data.update(changes)
    return data


def test_a_profile_edit_is_audited_as_the_partner_user_and_sent_as_a_webhook(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    # given a webhook subscriber to partner.updated
    with in_alpha():
        subscription_create(url="http://127.0.0.1:9/portal", events=["partner.updated"])
    partner = partner_x.partner

    # when X's user corrects its contact e-mail, phone, city and DNS
    response = x_client.post(
        "/portal/profile/edit/",
        _profile_form(
            partner,
            contact_email="new-contact@example.com",
            contact_phone="+44 20 7946 0958",
            city="Leeds",
            country="GB",
            primary_dns="ns1.example.net",
        ),
    )

    # then it is saved, normalised by the registry's service
    assert response.status_code == 302
    assert response["Location"] == "/portal/profile/"
    with in_alpha():
        saved = Partner.objects.get(pk=partner.pk)
        assert saved.contact_email == "new-contact@example.com"
        assert str(saved.contact_phone) == "+442079460958"
        assert (saved.city, str(saved.country), saved.primary_dns) == (
            "Leeds",
            "GB",
            "ns1.example.net",
        )
        # and audited as made by the partner user, with what changed
        record = saved.history.order_by("-history_date", "-history_id").first()
        assert record is not None
        assert record.history_user_id == partner_x.user.pk
        changed = {change.field for change in record.diff_against(record.prev_record).changes}
        assert {"contact_email", "contact_phone", "city", "country", "primary_dns"} <= changed
        # and sent as partner.updated, naming only the fields that changed
        delivery = Delivery.objects.get(event="partner.updated")
        assert delivery.payload["data"]["ref"] == partner.ref
        assert set(delivery.payload["data"]["fields"]) == {
            "contact_email",
            "contact_phone",
            "city",
            "country",
            "primary_dns",
        }


def test_the_profile_form_cannot_change_what_the_vendor_owns(
    x_client: TenantClient, partner_x: PortalPartner, partner_y: PortalPartner, in_alpha: Any
) -> None:
    partner = partner_x.partner
    assert partner_y.partner.tier is not None
    # when X's user posts restricted fields along with a real change
    response = x_client.post(
        "/portal/profile/edit/",
        _profile_form(
            partner,
            city="Bristol",
            ref="hijacked",
            name="Hijacked Ltd",
            status="affiliate",
            tier=partner_y.partner.tier.slug,
            channel_manager=partner_y.partner.channel_manager.email,
            sla="premium",
            products="anything",
            domain="hijacked.example",
            benefits="everything free",
        ),
    )

    # then only the profile field changed
    assert response.status_code == 302
    with in_alpha():
        saved = Partner.objects.get(pk=partner.pk)
        assert saved.city == "Bristol"
        assert (saved.ref, saved.name, saved.status, saved.domain) == (
            partner.ref,
            partner.name,
            partner.status,
            partner.domain,
        )
        assert saved.tier_id == partner.tier_id
        assert saved.channel_manager_id == partner.channel_manager_id
        assert saved.sla_id == partner.sla_id
        assert saved.benefits == partner.benefits


def test_the_service_refuses_restricted_fields_and_saves_nothing(
    partner_x: PortalPartner, in_alpha: Any
) -> None:
    with in_alpha():
        history_before = partner_x.partner.history.count()
        with pytest.raises(ValidationError) as caught:
            portal_profile_update(user=partner_x.user, city="Bath", status="affiliate", ref="x")
        assert set(caught.value.message_dict) == {"status", "ref"}
        saved = Partner.objects.get(pk=partner_x.partner.pk)
        assert saved.city == partner_x.partner.city
        assert saved.history.count() == history_before


def test_bad_profile_input_shows_every_error_and_saves_nothing(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    with in_alpha():
        history_before = partner_x.partner.history.count()
    # when the form has a bad phone, a bad e-mail and a bad DNS server
    response = x_client.post(
        "/portal/profile/edit/",
        _profile_form(
            partner_x.partner,
            city="Cardiff",
            contact_phone="call me maybe",
            contact_email="not-an-email",
            primary_dns="bad dns!",
        ),
    )

    # then the form comes back with a message on each field
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {
        "contact_phone",
        "contact_email",
        "primary_dns",
    }
    assert "Nothing was saved" in _text(response)
    # and nothing was saved, not even the valid city
    with in_alpha():
        saved = Partner.objects.get(pk=partner_x.partner.pk)
        assert saved.city == partner_x.partner.city
        assert saved.history.count() == history_before


def test_an_unchanged_profile_saves_nothing(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    with in_alpha():
        history_before = partner_x.partner.history.count()
    response = x_client.post("/portal/profile/edit/", _profile_form(partner_x.partner))
    assert response.status_code == 302
    with in_alpha():
        assert partner_x.partner.history.count() == history_before


# --- calls and contacts ---------------------------------------------------------------------


def test_a_logged_call_is_the_partners_own_whatever_the_form_says(
    x_client: TenantClient, partner_x: PortalPartner, partner_y: PortalPartner, in_alpha: Any
) -> None:
    # when X's user logs a call, adding Y's ref as "partner"
    response = x_client.post(
        "/portal/calls/new/",
        {
            "partner": partner_y.partner.ref,
            "direction": "received",
            "counterpart": "customer",
            "duration_minutes": "3",
            "occurred_at": "2026-11-20T09:30",
        },
    )

    # then the call is X's, stored through ingestion
    assert response.status_code == 302
    assert response["Location"] == "/portal/calls/"
    with in_alpha():
        call = Call.objects.filter(external_id__startswith="manual-").get()
        assert call.partner_id == partner_x.partner.pk
        assert (call.direction, call.duration_seconds) == ("received", 180)
        assert Call.objects.filter(partner=partner_y.partner).count() == len(partner_y.call_ids)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"direction": "sideways", "counterpart": "customer", "duration_minutes": "1"},
            "direction",
        ),
        (
            {"direction": "made", "counterpart": "customer", "duration_minutes": "-1"},
            "duration_minutes",
        ),
        (
            {
                "direction": "made",
                "counterpart": "customer",
                "duration_minutes": "2",
                "occurred_at": "yesterday",
            },
            "occurred_at",
        ),
    ],
)
def test_a_bad_call_shows_the_error_and_stores_nothing(
    x_client: TenantClient,
    partner_x: PortalPartner,
    in_alpha: Any,
    data: dict[str, str],
    field: str,
) -> None:
    response = x_client.post("/portal/calls/new/", {"occurred_at": "2026-11-20T09:30", **data})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'aria-invalid="true"' in _text(response)
    with in_alpha():
        assert not Call.objects.filter(external_id__startswith="manual-").exists()


def test_a_contact_converted_before_it_was_generated_is_refused(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    response = x_client.post(
        "/portal/contacts/new/",
        {"source": "fair", "created_at": "2026-11-20T10:00", "converted_at": "2026-11-19T10:00"},
    )
    assert response.status_code == 200
    assert "converted_at is before created_at" in _text(response)
    with in_alpha():
        assert not Lead.objects.filter(external_id__startswith="manual-").exists()


def test_a_logged_contact_is_the_partners_own(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    response = x_client.post(
        "/portal/contacts/new/", {"source": "fair", "created_at": "2026-11-20T10:00"}
    )
    assert response.status_code == 302
    with in_alpha():
        lead = Lead.objects.get(external_id__startswith="manual-")
        assert (lead.partner_id, lead.source) == (partner_x.partner.pk, "fair")


# --- requests ---------------------------------------------------------------------------------


def test_a_raised_request_starts_its_clocks_as_a_staff_one_would(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    # given X has its own first response target
    with in_alpha():
        PartnerSlaOverride.objects.create(
            partner=partner_x.partner, first_response_hours=Decimal("3")
        )
        targets = {t.field: t.value for t in effective_targets(partner_x.partner)}
    before = timezone.now()

    # when X's user raises a request
    response = x_client.post(
        "/portal/requests/new/",
        {"kind": "support", "subject": "Portal down", "description": "Since 9:00"},
    )

    # then it is open for X, raised by its user, with its clocks running
    assert response.status_code == 302
    with in_alpha():
        request = PartnerRequest.objects.get(subject="Portal down")
        assert response["Location"] == f"/portal/requests/{request.pk}/"
        assert request.partner_id == partner_x.partner.pk
        assert request.raised_by_id == partner_x.user.pk
        assert request.opened_at >= before
        assert request.sla_version is not None
        assert request.first_response_target_hours == Decimal("3")
        assert request.resolution_target_hours == targets["resolution_hours"]
        assert request.first_response_due_at is not None
        assert request.first_response_due_at > request.opened_at
        assert request.first_response_state == ClockState.ON_TRACK
        # and its channel manager is told
        notice = Notification.objects.get(user=partner_x.partner.channel_manager)
        assert "Portal down" in notice.title
        assert notice.link == f"/slas/requests/{request.pk}/"
    # and the request page shows its clocks
    page = _text(x_client.get(f"/portal/requests/{request.pk}/"))
    assert "Portal down" in page
    assert "sla-clock" in page


def test_a_request_without_subject_is_refused_and_nothing_is_stored(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    response = x_client.post("/portal/requests/new/", {"kind": "support", "subject": "  "})
    assert response.status_code == 200
    assert "subject" in response.context["form"].errors
    response = x_client.post("/portal/requests/new/", {"kind": "bribe", "subject": "Hi"})
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    with in_alpha():
        assert PartnerRequest.objects.filter(partner=partner_x.partner).count() == 1
        assert not Notification.objects.exists()


def test_a_policy_that_cannot_place_deadlines_is_explained_to_the_partner(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    # given X on a policy without working days, stored before the SLA rules refused it
    with in_alpha():
        legacy = SlaPolicy.objects.create(slug="legacy", name="Legacy", working_days=[])
        Partner.objects.filter(pk=partner_x.partner.pk).update(sla=legacy)
        before = PartnerRequest.objects.count()

    # when X's user raises a request
    response = x_client.post("/portal/requests/new/", {"kind": "support", "subject": "Help"})

    # then the form says what is wrong and whom to tell, and nothing is stored
    assert response.status_code == 200
    (message,) = response.context["form"].non_field_errors()
    assert "cannot be placed in your SLA's support calendar" in message
    assert "tell your channel manager" in message
    with in_alpha():
        assert PartnerRequest.objects.count() == before


def test_another_partners_request_is_not_found(
    x_client: TenantClient, partner_x: PortalPartner, partner_y: PortalPartner
) -> None:
    assert partner_y.request is not None
    assert partner_x.request is not None
    assert x_client.get(f"/portal/requests/{partner_y.request.pk}/").status_code == 404
    assert x_client.get(f"/portal/requests/{partner_x.request.pk}/").status_code == 200


# --- lists and exports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "attribute"),
    [
        ("/portal/orders/export/", "order_ids"),
        ("/portal/calls/export/", "call_ids"),
        ("/portal/contacts/export/", "lead_ids"),
    ],
)
def test_csv_exports_hold_only_the_partners_own_rows(
    x_client: TenantClient,
    partner_x: PortalPartner,
    partner_y: PortalPartner,
    path: str,
    attribute: str,
) -> None:
    response = x_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_text(response))))
    # newest first, exactly X's rows
    assert [row["external_id"] for row in rows] == getattr(partner_x, attribute)
    assert partner_y.marker not in _text(x_client.get(path))


def test_a_cell_that_would_run_as_a_formula_is_quoted(
    x_client: TenantClient, partner_x: PortalPartner
) -> None:
    x_client.post(
        "/portal/contacts/new/", {"source": "=HYPERLINK(1)", "created_at": "2026-11-20T10:00"}
    )
    rows = list(csv.DictReader(io.StringIO(_text(x_client.get("/portal/contacts/export/")))))
    assert "'=HYPERLINK(1)" in [row["source"] for row in rows]


def test_lists_are_paginated_newest_first(
    x_client: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    from reporting.ingest import ingest

    # given 30 more orders of X, one a day back from yesterday
    now = timezone.now()
    with in_alpha():
        ingest(
            kind="orders",
            rows=[
                {
                    "external_id": f"bulk-{n:02d}",
                    "partner": partner_x.partner.ref,
                    "status": "open",
                    "amount": "1",
                    "ordered_at": (now - timedelta(days=10 + n)).isoformat(),
                }
                for n in range(30)
            ],
        )
        total = Order.objects.filter(partner=partner_x.partner).count()
    # then the first page holds the 25 newest, the second the rest
    first = x_client.get("/portal/orders/").context["page"]
    second = x_client.get("/portal/orders/?page=2").context["page"]
    assert first.paginator.count == total == 33
    assert [order.external_id for order in first][:3] == partner_x.order_ids
    assert len(first) == 25
    assert len(second) == 8
    assert second[len(second) - 1].external_id == "bulk-29"


# --- scorecard --------------------------------------------------------------------------------


def test_the_scorecard_shows_the_partners_own_metrics_with_a_table_per_chart(
    x_client: TenantClient, partner_x: PortalPartner, partner_y: PortalPartner, in_alpha: Any
) -> None:
    # given X's three won orders of 100.00 and Y's of 250.00, folded into the rollups
    with in_alpha():
        fold_all()

    # when X's user picks the last 30 days
    response = x_client.get("/portal/scorecard/?period=30d")

    # then the tiles hold X's numbers only
    assert response.status_code == 200
    page = _text(response)
    assert 'data-metric="revenue" data-value="300.00"' in page
    assert 'data-metric="orders_won" data-value="3"' in page
    assert 'data-metric="avg_order_value" data-value="100.00"' in page
    assert "250.00" not in page
    assert "750.00" not in page
    assert "1050.00" not in page
    # and every chart comes with a table of its numbers
    charts = page.count("<canvas")
    assert charts > 0
    assert page.count("<details") >= charts


def test_a_bad_period_is_a_form_error_not_a_crash(x_client: TenantClient, partner_x: Any) -> None:
    response = x_client.get("/portal/scorecard/?period=custom&from=2026-11-20&to=2026-11-01")
    assert response.status_code == 200
    assert "The last day is before the first day." in _text(response)
    assert response.context["scorecard"] is None
