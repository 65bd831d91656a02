"""Writes of a partner request's conversation: the vendor's replies and the partner's
notes (slas.models.RequestMessage).

`request_message_add` is the one door every page and the API use, so a reply always
does the same things in one transaction: the request row is locked (a reply and a
concurrent resolve cannot both stop the clocks), the message is stored, the clocks
stop as the SLA says (the vendor's first reply is the first response, the
resolution reply resolves; a partner's note stops nothing), the other side is told
in the app, and the message's e-mail is queued once the transaction commits
(slas.mail: sent once, swept up by beat when the broker was down).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from html import unescape

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from prm.accounts.models import Role, User
from prm.errors import Errors
from prm.web.formats import number

from ..mail import request_message_mail_queue
from ..models import (
    STAFF_MESSAGE_KINDS,
    MessageKind,
    Notification,
    PartnerRequest,
    RequestKind,
    RequestMessage,
)
from ..selectors import message_is_first_response, partner_answer_readers, partner_users_of
from ..templatetags.sla_markdown import render_markdown
from .requests import partner_request_resolve, partner_request_respond

MESSAGE_MAX_LENGTH = 10_000
STAFF_ROLES = (Role.ADMIN, Role.MANAGER, Role.INTEGRATOR)


class RequestClosedError(Exception):
    """The request is resolved: it takes no more messages. The text says so and what
    to do instead."""


def request_message_check(*, author: User | None, kind: str, body: str) -> str:
    """The checks of request_message_add without its write (for a review step): the
    body as it would be stored, or a ValidationError by field (body, kind)."""
    # Browsers send line breaks as CR LF; stored as LF, as every other text.
    body = (body or "").replace("\r\n", "\n").strip()
    errors = Errors()
    if kind not in MessageKind.values:
        errors.add("kind", f"Use one of {', '.join(MessageKind.values)}.")
    elif author is not None and author.role == Role.PARTNER and kind != MessageKind.NOTE:
        errors.add("kind", "A partner user answers with a note; only the vendor responds.")
    elif author is not None and author.role in STAFF_ROLES and kind == MessageKind.NOTE:
        errors.add("kind", "The vendor answers with a response or the resolution.")
    if not body:
        errors.add(
            "body",
            "Write your answer first."
            if kind == MessageKind.NOTE
            else "Write the reply the partner will read; it is sent with the "
            + ("resolution." if kind == MessageKind.RESOLUTION else "response."),
        )
    elif len(body) > MESSAGE_MAX_LENGTH:
        errors.add(
            "body",
            f"Keep it to {number(MESSAGE_MAX_LENGTH)} characters; "
            f"this one has {number(len(body))}.",
        )
    errors.raise_if_any()
    return body


def request_message_add(
    *,
    request: PartnerRequest,
    author: User | None,
    kind: str,
    body: str,
    token: uuid.UUID | None = None,
    at: datetime | None = None,
) -> RequestMessage:
    """Add a message to the request's conversation (see the module's docstring).

    `author` None is a write of the platform (an API key without a person). A `token`
    seen before with the same request, kind and body returns that message unchanged: a
    confirmation sent twice stores and mails once (a form used again for another text
    stores that one, once however often it is sent). Raises ValidationError (by field:
    body, kind) for bad input and RequestClosedError for a resolved request; nothing is
    stored then."""
    body = request_message_check(author=author, kind=kind, body=body)
    with transaction.atomic():
        locked = (
            PartnerRequest.objects.select_for_update(of=("self",))
            .select_related("partner", "partner__channel_manager", "sla_version")
            .get(pk=request.pk)
        )
        # Callers look the request up among the user's own; this holds if one did not.
        partner_users = partner_users_of(partner=locked.partner)
        if (
            author is not None
            and author.role == Role.PARTNER
            and not partner_users.filter(pk=author.pk).exists()
        ):
            raise PermissionDenied("A partner user answers only its own partner's requests.")
        # The form's token with what it says: the same form sent again finds its
        # message, the form used again for another text (back in the browser) makes
        # a key of its own, which holds when that one is sent twice too.
        key = _message_key(token, request_id=locked.pk, kind=kind, body=body)
        if key is not None:
            existing = RequestMessage.objects.filter(token=key).first()
            if existing is not None:
                return existing
        if locked.resolved_at is not None:
            raise RequestClosedError(
                f"“{locked.subject}” is resolved; it takes no more messages. "
                + (
                    "If something is still wrong, raise a new request."
                    if kind == MessageKind.NOTE
                    else "Raise a new request for the partner if there is more to do."
                )
            )
        at = at or timezone.now()
        message = RequestMessage.objects.create(
            request=locked, kind=kind, author=author, body=body, created_at=at, token=key
        )
        if kind == MessageKind.RESPONSE:
            partner_request_respond(request=locked, at=at)
        elif kind == MessageKind.RESOLUTION:
            partner_request_resolve(request=locked, at=at)
        _tell_in_app(message=message, request=locked)
        request_message_mail_queue(message_id=message.pk)
    _clocks_copy(locked, to=request)
    message.request = locked
    return message


def request_clock_stop(*, request: PartnerRequest, kind: str) -> PartnerRequest:
    """Stop a clock with no message (the API's respond or resolve without a `body`, as
    clients from before replies send them): `kind` response records the first response,
    resolution resolves. Under the request's lock as request_message_add, so a copy read
    before a concurrent reply or resolution cannot write its stale clocks over them.
    Returns `request` with the clocks as they now stand."""
    with transaction.atomic():
        locked = PartnerRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if kind == MessageKind.RESOLUTION:
            partner_request_resolve(request=locked)
        else:
            partner_request_respond(request=locked)
    _clocks_copy(locked, to=request)
    return request


CLOCK_FIELDS = ("first_response_at", "resolved_at", "first_response_state", "resolution_state")


def _clocks_copy(locked: PartnerRequest, *, to: PartnerRequest) -> None:
    """The caller's copy shows the clocks as they now stand (those of the locked row)."""
    for field in CLOCK_FIELDS:
        setattr(to, field, getattr(locked, field))


def _message_key(
    token: uuid.UUID | None, *, request_id: int, kind: str, body: str
) -> uuid.UUID | None:
    """The stored one-time key of a message sent with a form's `token`: one per form,
    request, kind and text (a name-based UUID of them), None without a token."""
    if token is None:
        return None
    return uuid.uuid5(token, f"{request_id}\n{kind}\n{body}")


def _tell_in_app(*, message: RequestMessage, request: PartnerRequest) -> None:
    partner = request.partner
    if message.kind in STAFF_MESSAGE_KINDS:
        if message.kind == MessageKind.RESOLUTION:
            title = f"Your request is resolved: {request.subject}"
        elif request.kind == RequestKind.LEAD and message_is_first_response(
            message=message, request=request
        ):
            title = f"Your lead was accepted: {request.subject}"
        else:
            title = f"Reply to your request: {request.subject}"
        link = reverse("portal:request_detail", kwargs={"request_id": request.pk})
        users = list(partner_users_of(partner=partner))
    else:
        title = f"{partner.name} answered: {request.subject}"
        link = reverse("slas:request_detail", kwargs={"request_id": request.pk})
        users = partner_answer_readers(partner=partner)
    # The notice shows the text as read, not its Markdown: rendered, then its words.
    words = " ".join(strip_tags(render_markdown(message.body)).split())
    excerpt = Truncator(unescape(words)).chars(300)
    Notification.objects.bulk_create(
        Notification(user=user, title=title[:200], body=excerpt, link=link) for user in users
    )
