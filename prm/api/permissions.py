"""Who may call the API: vendor staff signed in, or an API key with the right scope."""

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from prm.accounts.models import ApiKey

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
