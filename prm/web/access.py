"""Access rules for browser views, declared on the view, checked structurally.

Every view is closed unless marked: `public_view` (anyone, e.g. login, health, API
schema) or one of the role decorators. The cross-tenant test walks every URL and
lets only views marked public answer 200 to a stranger.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ViewT = TypeVar("ViewT", bound=Callable[..., Any])

PUBLIC_ATTRIBUTE = "prm_public_view"


def public_view(view: ViewT) -> ViewT:
    """Mark a view as reachable without signing in."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def is_public_view(view: Callable[..., Any]) -> bool:
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        if candidate is not None and getattr(candidate, PUBLIC_ATTRIBUTE, False):
            return True
    return False


def _role_required(check: Callable[[Any], bool]) -> Callable[[ViewT], ViewT]:
    def decorator(view: ViewT) -> ViewT:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


login_required = _role_required(lambda user: user.is_active)
staff_required = _role_required(lambda user: user.is_channel_staff)
admin_required = _role_required(lambda user: user.is_tenant_admin)
partner_required = _role_required(lambda user: user.is_partner_user)
