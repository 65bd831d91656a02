"""Reads of the partner portal, scoped structurally to the signed-in user's partner.

No selector here takes a partner, a ref or the id of a partner: each starts from the
user and joins through its PartnerUser link (one user, one partner), so a portal page
cannot be pointed at another partner whatever its URL or form says. Anyone who is not
an active partner user linked to a partner gets PermissionDenied or nothing (fails
closed). Objects asked for by id (a request) are looked up inside the user's own rows,
so another partner's id is simply "not found".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from partners.models import Partner, PartnerStatus
from partners.selectors import partner_list_for_user, programme_terms
from prm.web.markdown import markdown_to_html
from reporting.models import Call, Lead, Order
from slas.models import PartnerRequest
from slas.selectors import (
    partner_request_list_for_user,
    partner_request_rows,
    partner_sla_panel,
    request_rows_with_latest_message,
)

ModelT = TypeVar("ModelT", bound=Model)


class NotAPortalUser(PermissionDenied):
    """The user may not use the portal: not a partner user, inactive, or not linked."""


def _is_portal_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_partner_user)


def portal_partner(*, user: Any) -> Partner:
    """The one partner whose portal `user` sees; NotAPortalUser for anyone else."""
    if not _is_portal_user(user):
        raise NotAPortalUser("The partner portal is for partner users.")
    try:
        partner = partner_list_for_user(user=user).get()
    except Partner.DoesNotExist as error:
        raise NotAPortalUser(
            "Your account is not linked to a partner yet; an administrator links it."
        ) from error
    if partner.status == PartnerStatus.TERMINATED:
        raise NotAPortalUser(
            f"The partnership of {partner.name} has ended, so its portal is closed."
        )
    return partner


def portal_partners(*, user: Any) -> QuerySet[Partner]:
    """The user's partner as a queryset (for the metrics, which read a set of
    partners); empty for anyone who is not a portal user."""
    if not _is_portal_user(user):
        return Partner.objects.none()
    return partner_list_for_user(user=user)


def _own(queryset: QuerySet[ModelT], user: Any) -> QuerySet[ModelT]:
    """`queryset` (of rows with a `partner`) narrowed to the user's partner."""
    if not _is_portal_user(user):
        return queryset.none()
    return queryset.filter(partner__users__user=user)


def portal_orders(*, user: Any) -> QuerySet[Order]:
    """The partner's orders, newest first."""
    return _own(Order.objects.select_related("product"), user).order_by("-ordered_at", "-id")


def portal_calls(*, user: Any) -> QuerySet[Call]:
    return _own(Call.objects.all(), user).order_by("-occurred_at", "-id")


def portal_contacts(*, user: Any) -> QuerySet[Lead]:
    """The sales channel contacts (leads) the partner generated, newest first."""
    return _own(Lead.objects.all(), user).order_by("-created_at", "-id")


def portal_requests(*, user: Any) -> QuerySet[PartnerRequest]:
    """The partner's SLA requests, newest first."""
    if not _is_portal_user(user):
        return PartnerRequest.objects.none()
    return partner_request_list_for_user(user=user).order_by("-opened_at", "-id")


def portal_request_get(*, user: Any, request_id: int) -> PartnerRequest:
    """One of the partner's requests; PartnerRequest.DoesNotExist for any other id."""
    return portal_requests(user=user).get(pk=request_id)


def portal_request_rows(
    requests: list[PartnerRequest], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Requests (already the user's own) with their clocks, as the staff pages show them,
    and each one's latest message (`latest_message`: who spoke last, and when)."""
    return request_rows_with_latest_message(partner_request_rows(requests, now=now))


def markdown_html(text: str) -> str:
    """Programme terms and SLA policies are Markdown written by staff; rendered, then
    sanitised (images only from the tenant's own host)."""
    return markdown_to_html(text)


def portal_terms(*, user: Any) -> list[dict[str, Any]]:
    """The partner's roles, responsibilities and benefits: its own where set, else its
    tier's programme terms."""
    return programme_terms(
        partner=portal_partner(user=user),
        labels={
            "roles": "Your role",
            "responsibilities": "Your responsibilities",
            "benefits": "Your benefits",
        },
        own_source="agreed for you",
    )


def portal_sla(*, user: Any, now: datetime | None = None) -> dict[str, Any]:
    """The partner's effective SLA (slas.selectors.partner_sla_panel: targets with its
    own overrides applied, support calendar, this month against the minimums, open
    requests with their clocks, latest events) plus the policy's written policies and
    procedures, rendered."""
    partner = portal_partner(user=user)
    panel = partner_sla_panel(partner=partner, now=now)
    panel["policies_html"] = markdown_html(partner.sla.policies)
    panel["description_html"] = markdown_html(partner.sla.description)
    return panel
