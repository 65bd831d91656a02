from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from prm.accounts.models import Role

from .models import Notification, PartnerRequest, SlaEvent, SlaPolicy, SlaPolicyVersion


def sla_policy_list() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.all()


def sla_policy_default() -> SlaPolicy:
    """The tenant's default policy; every tenant has one from its first migration."""
    return SlaPolicy.objects.get(is_default=True)


def sla_policy_versions(*, policy: SlaPolicy) -> QuerySet[SlaPolicyVersion]:
    return policy.versions.select_related("created_by")


def partner_request_list_for_user(*, user: Any) -> QuerySet[PartnerRequest]:
    """Requests the user may see: all for staff and integrators, its partner's for a
    partner user, none otherwise."""
    requests = PartnerRequest.objects.select_related("partner", "raised_by", "sla_version")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return requests.none()
    if user.role in (Role.ADMIN, Role.MANAGER, Role.INTEGRATOR):
        return requests
    if user.role == Role.PARTNER:
        return requests.filter(partner__users__user=user)
    return requests.none()


def sla_event_list(*, partner: Any | None = None) -> QuerySet[SlaEvent]:
    events = SlaEvent.objects.select_related("partner", "request")
    return events.filter(partner=partner) if partner is not None else events


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def open_breaches() -> Q:
    return Q(resolved_at__isnull=True) & (
        Q(first_response_state="breached") | Q(resolution_state="breached")
    )
