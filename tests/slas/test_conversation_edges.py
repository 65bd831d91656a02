"""Edges of a request's conversation found in review: a review form used again for
another reply and then sent twice stores that reply once; a request whose subject
holds a line break (the API takes one) still has its replies mailed; a partner's answer
while its channel manager is deactivated reaches the administrators; an old API client's
respond (no text) cannot reopen a request resolved at the same time; the review says
who gets the reply before its send button."""

from __future__ import annotations

import uuid
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from prm.accounts.models import Role
from slas import services
from slas.api import PartnerRequestViewSet
from slas.models import Notification, PartnerRequest, RequestMessage
from slas.tasks import send_request_message_mail
from tests.conftest import TenantClient, client_for, log_in, tenant_schema
from tests.factories import UserFactory
from tests.portal.conftest import PortalPartner, make_portal_partner
from tests.slas.policies import weekday_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(tenant_a: Any) -> PortalPartner:
    """A partner of alpha with its manager, a portal user and a contact e-mail."""
    with tenant_schema(tenant_a):
        portal = make_portal_partner("edge", activity=False)
        portal.partner.sla = weekday_policy(f"weekdays-{portal.marker}")
        portal.partner.save()
    return portal


def test_a_review_form_used_again_and_then_sent_twice_stores_the_new_reply_once(
    portal: PortalPartner, tenant_a: Any
) -> None:
    with tenant_schema(tenant_a):
        # given a request answered from a review form
        request = services.partner_request_open(
            partner=portal.partner, subject="Quote", description="", raised_by=portal.user
        )
        manager = portal.partner.channel_manager
        token = uuid.uuid4()
        services.request_message_add(
            request=request, author=manager, kind="response", body="On it.", token=token
        )

        # when the same form (back in the browser) sends another text, twice (a double
        # click on the second send)
        for _ in range(2):
            services.request_message_add(
                request=request, author=manager, kind="response", body="Sent today.", token=token
            )

        # then the conversation has each text once
        bodies = list(RequestMessage.objects.filter(request=request).values_list("body", flat=True))
        assert bodies == ["On it.", "Sent today."]


def test_a_reply_on_a_request_whose_subject_has_a_line_break_is_mailed(
    portal: PortalPartner, tenant_a: Any
) -> None:
    with tenant_schema(tenant_a):
        # given a request raised through the API with a line break in its subject
        request = services.partner_request_open(
            partner=portal.partner,
            subject="Renewal\r\nfor 2027",
            description="",
            raised_by=portal.user,
        )
        message = services.request_message_add(
            request=request,
            author=portal.partner.channel_manager,
            kind="response",
            body="We will send it.",
        )

        # when its e-mail is sent
        sent = send_request_message_mail(message.pk)

        # then it went, its subject on one line
        assert sent is True
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject.startswith("Re: Renewal for 2027")
        message.refresh_from_db()
        assert message.notified_at is not None


def test_a_partners_answer_reaches_the_administrators_while_its_manager_is_deactivated(
    portal: PortalPartner, tenant_a: Any
) -> None:
    with tenant_schema(tenant_a):
        # given a partner whose channel manager was deactivated (its partners await
        # reassignment), and an administrator
        manager = portal.partner.channel_manager
        manager.is_active = False
        manager.save(update_fields=["is_active"])
        admin = UserFactory.create(role=Role.ADMIN, email=f"edge-admin-{portal.marker}@example.com")
        request = services.partner_request_open(
            partner=portal.partner, subject="Stock", description="", raised_by=portal.user
        )

        # when the partner's user answers on the portal
        message = services.request_message_add(
            request=request, author=portal.user, kind="note", body="Any news?"
        )
        send_request_message_mail(message.pk)

        # then the administrators are told in the app and by e-mail, not the manager
        told = set(
            Notification.objects.filter(link__contains=f"/{request.pk}/").values_list(
                "user__email", flat=True
            )
        )
        assert admin.email in told
        assert manager.email not in told
        assert len(mail.outbox) == 1
        assert admin.email in mail.outbox[0].to
        assert manager.email not in mail.outbox[0].to


def test_an_old_clients_respond_does_not_reopen_a_request_resolved_meanwhile(
    alpha_api: TenantClient, portal: PortalPartner, tenant_a: Any
) -> None:
    # given an open request, which the API has read when the manager resolves it on
    # the web (a race: the API's copy still says open and unanswered)
    with tenant_schema(tenant_a):
        request = services.partner_request_open(
            partner=portal.partner, subject="Race", description="", raised_by=portal.user
        )
    read = PartnerRequestViewSet.get_object

    def read_then_resolved_elsewhere(view: Any) -> PartnerRequest:
        stale = read(view)
        services.request_message_add(
            request=PartnerRequest.objects.get(pk=stale.pk),
            author=portal.partner.channel_manager,
            kind="resolution",
            body="Fixed on the phone.",
        )
        return stale

    # when an old client records the first response, without a text
    with mock.patch.object(PartnerRequestViewSet, "get_object", read_then_resolved_elsewhere):
        answered = alpha_api.generic("POST", f"/api/v1/requests/{request.pk}/respond/")

    # then the request stays resolved, with the manager's times
    assert answered.status_code == 200
    assert answered.json()["resolved_at"] is not None
    with tenant_schema(tenant_a):
        resolution = RequestMessage.objects.get(request_id=request.pk, kind="resolution")
        request.refresh_from_db()
        assert request.resolved_at == resolution.created_at
        assert request.first_response_at == resolution.created_at


def test_the_review_says_who_gets_the_reply_before_its_send_button(
    portal: PortalPartner, tenant_a: Any
) -> None:
    # given a reply written on a request's page
    with tenant_schema(tenant_a):
        request = services.partner_request_open(
            partner=portal.partner, subject="Order", description="", raised_by=portal.user
        )
    client = log_in(client_for(tenant_a), tenant_a, portal.partner.channel_manager)

    # when it goes to review
    review = client.post(
        reverse("slas:request_respond", args=[request.pk]),
        {"body": "Shipped.", "token": str(uuid.uuid4()), "next": "", "step": "review"},
    )

    # then what sending does (who gets it by e-mail, the clocks) comes before the send
    # button, as a phone shows the page top to bottom
    html = review.content.decode()
    assert review.status_code == 200
    assert html.index('id="reply-effects"') < html.index('value="send"')
    assert html.index('id="reply-preview"') < html.index('id="reply-effects"')
