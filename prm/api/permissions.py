"""Who may call the API: vendor staff signed in, or an API key with the right scope."""

from typing import TYPE_CHECKING, Any

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from prm.accounts.models import ApiKey
from prm.web.access import (
    PARTNER_TARGETS_REFUSAL,
    PROGRAMME_REFUSAL,
    may_configure_programme,
    may_set_partner_targets,
)

if TYPE_CHECKING:
    from rest_framework.views import APIView
else:
    APIView = Any


def required_scope(request: Request) -> str:
    return "read" if request.method in SAFE_METHODS else "write"


class IsStaffOrScopedKey(BasePermission):
    """The default for every endpoint: fails closed for anyone else.

    Partner users get no API access unless an endpoint says so itself.
    """

    message = "Your account or API key may not do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.auth, ApiKey):
            scope = required_scope(request)
            if not request.auth.has_scope(scope):
                self.message = f'This API key lacks the "{scope}" scope.'
                return False
            return True
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_channel_staff", False))


class IsTenantAdmin(BasePermission):
    message = "Only tenant administrators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and getattr(user, "is_tenant_admin", False)
        ) and not isinstance(request.auth, ApiKey)


class ProgrammeWrites(BasePermission):
    """Changes to SLA policies, the default policy and tiers: prm.web.access's
    `may_configure_programme`, the rule the pages ask too. Reads stay with the default
    permission (staff, or a key with the read scope)."""

    message = PROGRAMME_REFUSAL

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if isinstance(request.auth, ApiKey) and not request.auth.has_scope("write"):
            self.message = 'This API key lacks the "write" scope.'
            return False
        return may_configure_programme(request.user)


def check_partner_targets(request: Request, partner: Any) -> None:
    """Refuse (403) setting this partner's own SLA targets unless the rule allows it."""
    if not may_set_partner_targets(request.user, partner):
        raise exceptions.PermissionDenied(PARTNER_TARGETS_REFUSAL)
