"""A partner request is a conversation: the vendor's reply is written, reviewed and only
then sent (stored, shown to the partner, mailed to its users and contact e-mail); the
first reply is the first response and the resolution reply resolves; the partner's
answer from the portal tells its channel manager; the API takes the reply text and
lists the conversation; a message's mail survives a broker outage."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from prm.celery import app
from slas import services
from slas.models import MessageKind, Notification, PartnerRequest, RequestMessage
from slas.tasks import send_request_message_mail, sweep_event_mails
from tests.broker_outage import broker_unreachable
from tests.conftest import TenantClient, client_for, log_in, tenant_schema
from tests.portal.conftest import PortalPartner, make_portal_partner
from tests.slas.policies import MONDAY, at, weekday_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(tenant_a: Any) -> PortalPartner:
    """A partner of alpha with its manager, a portal user, a contact e-mail and one
    open request on the weekday policy."""
    with tenant_schema(tenant_a):
        portal = make_portal_partner("conv", activity=False)
        portal.partner.sla = weekday_policy(f"weekdays-{portal.marker}")
        portal.partner.save()
        portal.request = services.partner_request_open(
            partner=portal.partner,
            subject="Portal login fails",
            description="Since Monday both users get *invalid password*.",
            raised_by=portal.user,
        )
    return portal


@pytest.fixture
def manager_client(portal: PortalPartner, tenant_a: Any) -> TenantClient:
    """alpha.localhost signed in as the partner's channel manager."""
    return log_in(client_for(tenant_a), tenant_a, portal.partner.channel_manager)


@pytest.fixture
def partner_client(portal: PortalPartner, tenant_a: Any) -> TenantClient:
    return log_in(client_for(tenant_a), tenant_a, portal.user)


def request_of(portal: PortalPartner) -> PartnerRequest:
    assert portal.request is not None
    return portal.request


def text_of(response: Any) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def hidden(response: Any, name: str) -> str:
    match = re.search(
        rf'<input type="hidden" name="{name}" value="([^"]*)"', response.content.decode()
    )
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def write_reply(
    client: TenantClient, request: PartnerRequest, body: str, kind: str = "respond"
) -> Any:
    """The reply as written on the request's page and sent to review."""
    page = client.get(reverse("slas:request_detail", args=[request.pk]))
    return client.post(
        reverse(f"slas:request_{kind}", args=[request.pk]),
        {
            "body": body,
            "token": hidden(page, "token"),
            "next": hidden(page, "next"),
            "step": "review",
        },
    )


def send_reviewed(
    client: TenantClient, review: Any, request: PartnerRequest, kind: str = "respond"
) -> Any:
    """Press "Send" on the review page, with what it carries."""
    return client.post(
        reverse(f"slas:request_{kind}", args=[request.pk]),
        {
            "body": hidden(review, "body").replace("&#x27;", "'").replace("&quot;", '"'),
            "token": hidden(review, "token"),
            "next": hidden(review, "next"),
            "step": "send",
        },
    )


# --- the manager's reply: required, reviewed, then sent ----------------------------------


def test_a_reply_without_text_is_refused_and_nothing_changes(
    manager_client: TenantClient, portal: PortalPartner, tenant_a: Any
) -> None:
    # given an open request
    request = request_of(portal)

    # when the manager sends an empty first response to review, and an empty resolution
    answers = [
        write_reply(manager_client, request, "   "),
        write_reply(manager_client, request, "", "resolve"),
    ]

    # then both come back to the form saying what is missing
    for answer, clock in zip(answers, ("response.", "resolution."), strict=True):
        assert answer.status_code == 200
        assert f"Write the reply the partner will read; it is sent with the {clock}" in text_of(
            answer
        )
    # and nothing was stored, sent or stopped
    assert mail.outbox == []
    with tenant_schema(tenant_a):
        request.refresh_from_db()
        assert (request.first_response_at, request.resolved_at) == (None, None)
        assert not RequestMessage.objects.filter(request=request).exists()


def test_the_review_shows_the_reply_and_its_recipients_and_sends_nothing(
    manager_client: TenantClient,
    portal: PortalPartner,
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given an open request
    request = request_of(portal)

    # when the manager writes a reply and sends it to review
    with django_capture_on_commit_callbacks(execute=True):
        review = write_reply(manager_client, request, "We **reset** both accounts.")

    # then the review page shows it formatted, who gets it and that it stops the clock
    assert review.status_code == 200
    html = review.content.decode()
    assert "<strong>reset</strong>" in html
    text = text_of(review)
    assert "Check the reply before it is sent" in text
    assert f"E-mailed to {portal.user.email}, {portal.partner.contact_email}" in text
    assert "It is the first response: that clock stops now." in text
    # and nothing is stored, mailed or stopped until it is confirmed
    assert mail.outbox == []
    with tenant_schema(tenant_a):
        request.refresh_from_db()
        assert request.first_response_at is None
        assert not RequestMessage.objects.filter(request=request).exists()
        assert not Notification.objects.filter(user=portal.user).exists()


def test_a_confirmed_reply_is_stored_mailed_to_the_partner_and_stops_the_first_response_clock(
    manager_client: TenantClient,
    portal: PortalPartner,
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a reply the manager reviewed
    request = request_of(portal)
    # (a browser sends its line breaks as CR LF)
    review = write_reply(
        manager_client, request, "We **reset** both accounts.\r\n\r\nPlease try again."
    )

    # when they send it
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        sent = send_reviewed(manager_client, review, request)

    # then they are back on the request, told it is on its way and the clock stopped
    detail = reverse("slas:request_detail", args=[request.pk])
    assert sent.status_code == 302
    assert sent["Location"] == detail
    with tenant_schema(tenant_a):
        request.refresh_from_db()
        (message,) = RequestMessage.objects.filter(request=request)
        assert message.kind == MessageKind.RESPONSE
        assert message.author == portal.partner.channel_manager
        assert message.body == "We **reset** both accounts.\n\nPlease try again."
        assert request.first_response_at == message.created_at
        assert request.first_response_state == "met"
        assert request.resolved_at is None
        message.refresh_from_db()
        assert message.notified_at is not None
        assert message.mailed_to == [portal.user.email, portal.partner.contact_email]
        # the partner's user is told in the app, with a link to its portal page
        (notice,) = Notification.objects.filter(user=portal.user)
        assert notice.title == "Reply to your request: Portal login fails"
        assert notice.body == "We reset both accounts. Please try again."  # read, not Markdown
        assert notice.link == reverse("portal:request_detail", args=[request.pk])
    # and one e-mail went to the partner's user and its contact, with the text and link
    (email,) = mail.outbox
    assert email.to == [portal.user.email, portal.partner.contact_email]
    assert email.subject.startswith("Re: Portal login fails")
    assert "Please try again." in str(email.body)
    assert isinstance(email, EmailMultiAlternatives)
    html_part, media_type = email.alternatives[0]
    assert media_type == "text/html"
    assert "We <strong>reset</strong> both accounts." in str(html_part)
    assert f"http://alpha.localhost/portal/requests/{request.pk}/" in str(email.body)
    # and the manager's page shows the conversation, mailed
    page_text = text_of(manager_client.get(detail))
    assert "First response" in page_text
    assert "Please try again." in page_text
    assert f"E-mailed to {portal.user.email}, {portal.partner.contact_email}" in page_text


def test_a_reply_sent_twice_from_one_review_is_stored_and_mailed_once(
    manager_client: TenantClient,
    portal: PortalPartner,
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a reviewed reply
    request = request_of(portal)
    review = write_reply(manager_client, request, "On it.")

    # when "Send" is pressed twice (a double click, a reload that posts again)
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        send_reviewed(manager_client, review, request)
        send_reviewed(manager_client, review, request)

    # then there is one message and one e-mail
    with tenant_schema(tenant_a):
        assert RequestMessage.objects.filter(request=request).count() == 1
    assert len(mail.outbox) == 1


def test_a_review_form_used_again_for_another_reply_sends_that_one_too(
    portal: PortalPartner, tenant_a: Any
) -> None:
    # given a reply sent from a review form
    with tenant_schema(tenant_a):
        request = request_of(portal)
        manager = portal.partner.channel_manager
        token = uuid.uuid4()
        first = services.request_message_add(
            request=request, author=manager, kind="response", body="On it.", token=token
        )

        # when the same form (back in the browser) sends the resolution with another text
        second = services.request_message_add(
            request=request, author=manager, kind="resolution", body="Fixed.", token=token
        )

        # then that is a message of its own, and the request is resolved
        assert second.pk != first.pk
        assert list(request.messages.values_list("kind", flat=True)) == ["response", "resolution"]
        request.refresh_from_db()
        assert request.resolved_at == second.created_at


def test_edit_on_the_review_brings_the_text_back_to_the_form(
    manager_client: TenantClient, portal: PortalPartner, tenant_a: Any
) -> None:
    # given a reviewed reply
    request = request_of(portal)
    review = write_reply(manager_client, request, "Frist draft")

    # when the manager chooses "Edit"
    edit = manager_client.post(
        reverse("slas:request_respond", args=[request.pk]),
        {"body": "Frist draft", "token": hidden(review, "token"), "step": "edit"},
    )

    # then the form shows the text again, and still nothing is stored
    assert edit.status_code == 200
    assert ">Frist draft</textarea>" in edit.content.decode()
    with tenant_schema(tenant_a):
        assert not RequestMessage.objects.filter(request=request).exists()


def test_resolving_with_a_reply_stops_both_clocks_and_tells_the_partner(
    manager_client: TenantClient,
    portal: PortalPartner,
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given an open request without a first response
    request = request_of(portal)

    # when the manager resolves it with a reply, reviewed and sent from the list
    list_url = reverse("slas:requests")
    compose = manager_client.get(
        reverse("slas:request_resolve", args=[request.pk]) + f"?next={list_url}"
    )
    review = manager_client.post(
        reverse("slas:request_resolve", args=[request.pk]),
        {
            "body": "Fixed in 4.2.1.",
            "token": hidden(compose, "token"),
            "next": hidden(compose, "next"),
        },
    )
    assert "The request is resolved: its clocks stop" in text_of(review)
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        sent = send_reviewed(manager_client, review, request, "resolve")

    # then it is resolved, the reply is the first response too, and the partner is told
    assert sent["Location"] == list_url
    with tenant_schema(tenant_a):
        request.refresh_from_db()
        (message,) = RequestMessage.objects.filter(request=request)
        assert message.kind == MessageKind.RESOLUTION
        assert request.resolved_at == request.first_response_at == message.created_at
        assert (request.first_response_state, request.resolution_state) == ("met", "met")
        (notice,) = Notification.objects.filter(user=portal.user)
        assert notice.title == "Your request is resolved: Portal login fails"
    (email,) = mail.outbox
    assert email.subject.startswith("Resolved: Portal login fails")
    # and a resolved request takes no more replies
    again = manager_client.get(reverse("slas:request_respond", args=[request.pk]))
    assert again.status_code == 302


def test_partner_users_cannot_reply_as_the_vendor(
    partner_client: TenantClient, portal: PortalPartner, tenant_a: Any
) -> None:
    # when the partner's own user posts to the vendor's reply pages
    request = request_of(portal)
    answers = [
        partner_client.post(
            reverse(f"slas:request_{kind}", args=[request.pk]),
            {"body": "Done!", "token": str(uuid.uuid4()), "step": "send"},
        )
        for kind in ("respond", "resolve")
    ]

    # then both are refused and nothing is stored
    assert [answer.status_code for answer in answers] == [403, 403]
    with tenant_schema(tenant_a):
        assert not RequestMessage.objects.filter(request=request).exists()


# --- clocks: which message stops which ----------------------------------------------------


def test_the_first_vendor_reply_is_the_first_response_and_the_partners_note_stops_nothing(
    portal: PortalPartner, tenant_a: Any
) -> None:
    # given a request opened Monday 09:00 (answer due 11:00, resolution Tuesday 09:00)
    with tenant_schema(tenant_a):
        request = services.partner_request_open(
            partner=portal.partner, subject="Timed", opened_at=at(MONDAY, 9)
        )
        manager = portal.partner.channel_manager

        # when the partner adds a note at 09:30 (not an answer of the vendor)
        services.request_message_add(
            request=request,
            author=portal.user,
            kind="note",
            body="More detail",
            at=at(MONDAY, 9, 30),
        )
        # then no clock stopped
        request.refresh_from_db()
        assert (request.first_response_at, request.resolved_at) == (None, None)

        # when the manager replies at 12:00 (an hour late), and again at 13:00
        services.request_message_add(
            request=request, author=manager, kind="response", body="Looking", at=at(MONDAY, 12)
        )
        services.request_message_add(
            request=request, author=manager, kind="response", body="Found it", at=at(MONDAY, 13)
        )
        # then the first reply is the first response, late; the second changes nothing
        request.refresh_from_db()
        assert request.first_response_at == at(MONDAY, 12)
        assert request.first_response_state == "missed"
        assert request.resolved_at is None

        # when the resolution reply goes out at 15:00
        services.request_message_add(
            request=request, author=manager, kind="resolution", body="Fixed", at=at(MONDAY, 15)
        )
        # then the request is resolved then, in time
        request.refresh_from_db()
        assert request.resolved_at == at(MONDAY, 15)
        assert request.resolution_state == "met"
        assert request.first_response_at == at(MONDAY, 12)


def test_a_resolved_request_takes_no_more_messages(portal: PortalPartner, tenant_a: Any) -> None:
    # given a resolved request
    with tenant_schema(tenant_a):
        request = request_of(portal)
        manager = portal.partner.channel_manager
        services.request_message_add(
            request=request, author=manager, kind="resolution", body="Done"
        )

        # when the partner or the manager writes again, then it is refused, nothing stored
        for author, kind in ((portal.user, "note"), (manager, "response"), (manager, "resolution")):
            with pytest.raises(services.RequestClosedError, match="is resolved"):
                services.request_message_add(request=request, author=author, kind=kind, body="More")
        assert RequestMessage.objects.filter(request=request).count() == 1


def test_a_partner_user_cannot_answer_another_partners_request_even_past_the_pages(
    portal: PortalPartner, tenant_a: Any
) -> None:
    # given a request of another partner
    with tenant_schema(tenant_a):
        other = make_portal_partner("other", activity=False)
        foreign = services.partner_request_open(partner=other.partner, subject="Not yours")

        # when this partner's user writes to it straight through the service
        with pytest.raises(PermissionDenied):
            services.request_message_add(
                request=foreign, author=portal.user, kind="note", body="Hello"
            )

        # then nothing is stored
        assert not foreign.messages.exists()


def test_each_side_writes_only_its_own_kind(portal: PortalPartner, tenant_a: Any) -> None:
    with tenant_schema(tenant_a):
        request = request_of(portal)
        # when a partner user tries to resolve, or the manager to write a partner's note
        for author, kind in ((portal.user, "resolution"), (portal.partner.channel_manager, "note")):
            with pytest.raises(ValidationError) as raised:
                services.request_message_add(request=request, author=author, kind=kind, body="x")
            # then it is refused by field
            assert list(raised.value.message_dict) == ["kind"]
        request.refresh_from_db()
        assert request.resolved_at is None


# --- the API --------------------------------------------------------------------------------


def api_url(request: PartnerRequest, action: str) -> str:
    return reverse(f"api:request-{action}", args=[request.pk])


def test_the_api_takes_the_reply_text_and_lists_the_conversation(
    alpha_api: TenantClient,
    portal: PortalPartner,
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given an open request
    request = request_of(portal)

    # when an integrator responds with a text
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        answered = alpha_api.post(
            api_url(request, "respond"), {"body": "We are on it."}, content_type="application/json"
        )

    # then the first response is recorded and the reply mailed to the partner
    assert answered.status_code == 200, answered.content
    assert answered.json()["first_response_at"] is not None
    (email,) = mail.outbox
    assert "We are on it." in str(email.body)
    # and the conversation lists it
    listed = alpha_api.get(api_url(request, "messages"))
    assert listed.status_code == 200
    (message,) = listed.json()
    assert message["kind"] == "response"
    assert message["side"] == "vendor"
    assert message["body"] == "We are on it."
    assert message["first_response"] is True
    assert message["author"] == alpha_api.user.email
    assert message["mailed_to"] == [portal.user.email, portal.partner.contact_email]
    assert message["mailed_at"] is not None


def test_the_api_without_text_keeps_the_old_contract(
    alpha_api: TenantClient, portal: PortalPartner, tenant_a: Any
) -> None:
    # given an open request
    request = request_of(portal)

    # when an old client responds with no body at all, and resolves with an empty object
    answered = alpha_api.generic("POST", api_url(request, "respond"))
    resolved = alpha_api.post(api_url(request, "resolve"), {}, content_type="application/json")

    # then the clocks stop as before, and no message is stored or sent
    assert (answered.status_code, resolved.status_code) == (200, 200)
    assert resolved.json()["resolved_at"] is not None
    assert resolved.json()["clocks"]["resolution"]["state"] == "met"
    assert alpha_api.get(api_url(request, "messages")).json() == []
    assert mail.outbox == []


def test_the_api_refuses_a_blank_or_too_long_reply_by_field_and_a_reply_to_a_resolved_request(
    alpha_api: TenantClient, portal: PortalPartner, tenant_a: Any
) -> None:
    request = request_of(portal)

    # when the reply is blank, or too long
    blank = alpha_api.post(
        api_url(request, "resolve"), {"body": "  "}, content_type="application/json"
    )
    long = alpha_api.post(
        api_url(request, "respond"), {"body": "x" * 10_001}, content_type="application/json"
    )

    # then each answers 400 naming the field, and nothing changed
    assert blank.status_code == 400
    assert blank.json()["errors"]["body"] == [
        "Write the reply the partner will read; it is sent with the resolution."
    ]
    assert long.status_code == 400
    assert long.json()["errors"]["body"] == ["Keep it to 10,000 characters; this one has 10,001."]
    with tenant_schema(tenant_a):
        request.refresh_from_db()
        assert (request.first_response_at, request.resolved_at) == (None, None)

    # when the request is resolved and a reply is sent to it after
    alpha_api.post(api_url(request, "resolve"), {"body": "Done."}, content_type="application/json")
    late = alpha_api.post(
        api_url(request, "respond"), {"body": "One more thing"}, content_type="application/json"
    )

    # then it is a conflict that says why
    assert late.status_code == 409
    assert "is resolved" in late.content.decode()


def test_the_openapi_document_describes_the_reply_and_the_messages(alpha_api: TenantClient) -> None:
    # when the schema is read
    schema = alpha_api.get("/api/schema/?format=json").json()

    # then respond and resolve take the reply body, and the messages are listed
    respond = schema["paths"]["/api/v1/requests/{id}/respond/"]["post"]
    body = respond["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/ReplyInputRequest")
    assert "body" in schema["components"]["schemas"]["ReplyInputRequest"]["properties"]
    messages = schema["paths"]["/api/v1/requests/{id}/messages/"]["get"]
    assert messages["responses"]["200"]["content"]["application/json"]["schema"]["items"][
        "$ref"
    ].endswith("/RequestMessage")


# --- the mail survives a broker outage ------------------------------------------------------


@contextmanager
def queued_mails() -> Iterator[list[int]]:
    queued: list[int] = []
    with mock.patch.object(send_request_message_mail, "delay", side_effect=queued.append):
        yield queued


def test_a_reply_written_while_the_broker_is_down_is_mailed_by_the_sweep(
    portal: PortalPartner,
    tenant_a: Any,
    settings: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a reply stored while the broker refused connections
    settings.PRM_SLA_MAIL_OVERDUE_SECONDS = 600
    with tenant_schema(tenant_a):
        request = request_of(portal)
        app.conf.task_always_eager = False  # published, to a broker that is down
        with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
            message = services.request_message_add(
                request=request,
                author=portal.partner.channel_manager,
                kind="response",
                body="Looking into it",
                at=timezone.now() - timedelta(minutes=15),
            )
        app.conf.task_always_eager = True
        # then the reply is stored and the clock stopped, but nothing went out yet
        request.refresh_from_db()
        assert request.first_response_at == message.created_at
        assert mail.outbox == []

        # when beat's sweep runs, and runs again
        with queued_mails() as queued, django_capture_on_commit_callbacks(execute=True):
            sweep_event_mails()
            sweep_event_mails()
        # then it queued the message's mail once
        assert queued == [message.pk]

        # and sending it (twice, a redelivery) mails it once
        assert send_request_message_mail(message.pk) is True
        assert send_request_message_mail(message.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [portal.user.email, portal.partner.contact_email]


def test_a_partner_without_users_or_contact_email_is_told_on_the_review(
    manager_client: TenantClient,
    portal: PortalPartner,
    tenant_a: Any,
    in_tenant: Callable[..., Any],
) -> None:
    # given a partner whose portal user left and which has no contact e-mail
    with tenant_schema(tenant_a):
        portal.user.is_active = False
        portal.user.save()
        portal.partner.contact_email = ""
        portal.partner.save()

    # when a reply is reviewed
    review = write_reply(manager_client, request_of(portal), "Hello?")

    # then the review says no one gets it by e-mail
    assert "No one gets it by e-mail:" in text_of(review)


def test_the_request_list_shows_which_requests_the_partner_answered_last(
    manager_client: TenantClient, portal: PortalPartner, tenant_a: Any
) -> None:
    # given two open requests: one the manager replied to last, one the partner did
    with tenant_schema(tenant_a):
        manager = portal.partner.channel_manager
        replied = request_of(portal)
        answered = services.partner_request_open(partner=portal.partner, subject="Second one")
        services.request_message_add(
            request=answered, author=manager, kind="response", body="Which version?"
        )
        services.request_message_add(
            request=answered, author=portal.user, kind="note", body="Version 4.2"
        )
        services.request_message_add(
            request=replied, author=manager, kind="response", body="Looking"
        )

    # when the manager opens the list of their partners' open requests
    page = manager_client.get(reverse("slas:requests"))

    # then the one the partner answered says so, the other that it was replied to
    html = page.content.decode()
    rows = dict(re.findall(r'data-request="(\d+)">(.*?)</li>', html, flags=re.S))
    assert "The partner answered" in rows[str(answered.pk)]
    assert "Replied" in rows[str(replied.pk)]
    assert "The partner answered" not in rows[str(replied.pk)]
