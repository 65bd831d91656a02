"""Writes of the partner portal. Each takes the signed-in user, resolves its partner
through portal.selectors.portal_partner and hands over to the service that owns the
write, so validation, the audit history, webhooks and SLA clocks are exactly those of
the staff pages and the API. The partner is never an argument: it cannot be chosen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from partners.fields import PARTNER_EDITABLE_FIELDS
from partners.models import Partner
from partners.services import partner_update
from prm.accounts.models import User
from reporting.kinds import CALLS, CONTACTS
from reporting.services import manual_entry_record
from slas.models import Notification, PartnerRequest, RequestKind
from slas.services import partner_request_open

from .selectors import portal_partner

# What a partner may correct itself: how to reach it, where it is, its name servers.
# Everything else (ref, name, domain, status, tier, channel manager, SLA, products,
# terms, notes, tags) is the vendor's and changes only through staff.
# What a partner user may change of its own record (the field spec says).
PROFILE_FIELDS = PARTNER_EDITABLE_FIELDS


def portal_profile_update(*, user: User, **fields: Any) -> Partner:
    """Correct the partner's contact data, address and DNS through partner_update (so
    the change is validated, audited as made by `user` and sent as `partner.updated`).
    A field outside PROFILE_FIELDS is refused with a ValidationError, nothing saved."""
    refused = sorted(set(fields) - set(PROFILE_FIELDS))
    if refused:
        raise ValidationError(
            {
                field: ["Partners cannot change this in the portal; ask your channel manager."]
                for field in refused
            }
        )
    partner = portal_partner(user=user)
    if not fields:
        return partner
    with transaction.atomic():
        return partner_update(partner=partner, actor=user, **fields)


def portal_call_log(*, user: User, row: dict[str, Any]) -> dict[str, list[str]]:
    """Log a call of the user's partner (a row of reporting.forms' call form);
    returns field errors, empty when stored."""
    return _log(user=user, kind=CALLS, row=row)


def portal_contact_log(*, user: User, row: dict[str, Any]) -> dict[str, list[str]]:
    """Log a sales channel contact (lead) of the user's partner; returns field errors."""
    return _log(user=user, kind=CONTACTS, row=row)


def _log(*, user: User, kind: str, row: dict[str, Any]) -> dict[str, list[str]]:
    partner = portal_partner(user=user)
    # Whatever the row says, the partner is the user's own.
    row = {key: value for key, value in row.items() if key not in ("partner", "external_id")}
    return manual_entry_record(kind=kind, partner_ref=partner.ref, row=row)


def portal_request_raise(
    *,
    user: User,
    subject: str,
    kind: str = RequestKind.SUPPORT,
    description: str = "",
    opened_at: datetime | None = None,
) -> PartnerRequest:
    """Raise an SLA request for the user's partner. Its clocks start as for a request
    raised by staff (slas.services.partner_request_open: the policy version in force,
    the partner's effective targets, business hours); its channel manager gets an
    in-app notice, since the clock is now running against them."""
    partner = portal_partner(user=user)
    with transaction.atomic():
        request = partner_request_open(
            partner=partner,
            subject=subject,
            kind=kind,
            description=description,
            raised_by=user,
            opened_at=opened_at,
        )
        Notification.objects.create(
            user=partner.channel_manager,
            title=f"{partner.name} raised a request: {request.subject}"[:200],
            body=request.description,
            link=reverse("slas:request_detail", kwargs={"request_id": request.pk}),
        )
    return request
