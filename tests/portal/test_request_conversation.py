"""The portal's request page is the partner's side of the conversation: it shows the
vendor's replies (Markdown, sanitised) in order, and the partner user answers there;
the answer tells the channel manager in the app and by e-mail and stops no clock."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from slas.models import MessageKind, Notification, RequestMessage
from slas.services import request_message_add
from tests.conftest import TenantClient, tenant_schema
from tests.portal.conftest import PortalPartner

pytestmark = pytest.mark.django_db


def detail_url(portal: PortalPartner) -> str:
    assert portal.request is not None
    return reverse("portal:request_detail", args=[portal.request.pk])


def test_the_partner_reads_the_vendors_replies_in_order_and_sanitised(
    x_client: TenantClient, partner_x: PortalPartner, tenant_a: Any
) -> None:
    # given the manager answered X's request twice, once with a script in it
    assert partner_x.request is not None
    with tenant_schema(tenant_a):
        manager = partner_x.partner.channel_manager
        for body in ("First: we **look** into it.", "Second <script>alert(1)</script> fixed"):
            request_message_add(
                request=partner_x.request, author=manager, kind="response", body=body
            )

    # when X's user opens the request
    page = x_client.get(detail_url(partner_x))

    # then both replies are there, in order, formatted, and the script is not
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("we <strong>look</strong> into it") < html.index("Second")
    assert "<script>alert(1)</script>" not in html
    # and each is labelled for what it was: the request, the first response, a reply
    conversation = html[html.index('id="conversation"') :]
    labels = re.findall(r'<span class="badge [^"]*">([^<]+)</span>', conversation)
    assert labels[:3] == ["Request raised", "First response", "Reply"]


def test_the_partners_answer_tells_the_manager_and_stops_no_clock(
    x_client: TenantClient,
    partner_x: PortalPartner,
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given X's open request, unanswered
    request = partner_x.request
    assert request is not None

    # when X's user answers on the request page
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        sent = x_client.post(detail_url(partner_x), {"body": "Both users are on Chrome."})

    # then it is stored as the partner's note, shown on the page
    assert sent.status_code == 302
    page = x_client.get(detail_url(partner_x))
    assert "Both users are on Chrome." in page.content.decode()
    with tenant_schema(tenant_a):
        (note,) = RequestMessage.objects.filter(request=request)
        assert (note.kind, note.author) == (MessageKind.NOTE, partner_x.user)
        # and no clock stopped
        request.refresh_from_db()
        assert (request.first_response_at, request.resolved_at) == (None, None)
        # and the channel manager is told in the app, linking to the staff page
        manager = partner_x.partner.channel_manager
        (notice,) = Notification.objects.filter(user=manager)
        assert notice.title == f"{partner_x.partner.name} answered: {request.subject}"
        assert notice.link == reverse("slas:request_detail", args=[request.pk])
    # and by e-mail, to the manager only
    (email,) = mail.outbox
    assert email.to == [manager.email]
    assert "Both users are on Chrome." in str(email.body)
    assert f"/slas/requests/{request.pk}/" in str(email.body)


def test_an_empty_answer_is_refused_on_the_page(
    x_client: TenantClient, partner_x: PortalPartner, tenant_a: Any
) -> None:
    # when X's user sends an empty answer
    page = x_client.post(detail_url(partner_x), {"body": "  "})

    # then the page says so and nothing is stored
    assert page.status_code == 200
    assert "Write your answer first." in page.content.decode()
    with tenant_schema(tenant_a):
        assert not RequestMessage.objects.exists()


def test_a_resolved_request_takes_no_answer(
    x_client: TenantClient, partner_x: PortalPartner, tenant_a: Any
) -> None:
    # given X's request was resolved with a reply
    assert partner_x.request is not None
    with tenant_schema(tenant_a):
        request_message_add(
            request=partner_x.request,
            author=partner_x.partner.channel_manager,
            kind="resolution",
            body="Fixed.",
        )

    # when X's user opens it, and posts an answer anyway
    page = x_client.get(detail_url(partner_x))
    posted = x_client.post(detail_url(partner_x), {"body": "Thanks"}, follow=True)

    # then the page offers no answer form but a new request, and nothing is stored
    assert "This request is resolved." in page.content.decode()
    assert 'name="body"' not in page.content.decode()
    assert "is resolved; it takes no more messages" in posted.content.decode()
    with tenant_schema(tenant_a):
        assert RequestMessage.objects.filter(kind=MessageKind.NOTE).count() == 0


def test_a_partner_cannot_answer_another_partners_request(
    x_client: TenantClient, partner_x: PortalPartner, partner_y: PortalPartner, tenant_a: Any
) -> None:
    # when X's user posts an answer to Y's request
    answer = x_client.post(detail_url(partner_y), {"body": "Hello Y"})

    # then there is no such request for X, and nothing is stored
    assert answer.status_code == 404
    with tenant_schema(tenant_a):
        assert not RequestMessage.objects.exists()


def test_the_request_list_says_who_spoke_last(
    x_client: TenantClient, partner_x: PortalPartner, tenant_a: Any
) -> None:
    # given X's open request, not yet answered by anyone
    assert partner_x.request is not None
    listed = x_client.get(reverse("portal:requests")).content.decode()
    assert "prm-request-latest" not in listed

    # when the channel manager replies
    with tenant_schema(tenant_a):
        manager = partner_x.partner.channel_manager
        request_message_add(
            request=partner_x.request, author=manager, kind="response", body="On it."
        )

    # then the list says the vendor replied, so the partner knows to read it
    listed = x_client.get(reverse("portal:requests")).content.decode()
    assert f"{tenant_a.name} replied" in listed

    # and once the partner answers back, that it did
    with tenant_schema(tenant_a):
        request_message_add(
            request=partner_x.request, author=partner_x.user, kind="note", body="Thanks."
        )
    listed = x_client.get(reverse("portal:requests")).content.decode()
    assert "You answered" in listed
    assert f"{tenant_a.name} replied" not in listed
