"""Access rules for browser views, declared on the view, checked structurally; and the
role rules (who may change what) that the pages and the API share.

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

from prm.accounts.models import Role

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


def _role_required(
    check: Callable[[Any], bool], refusal: str = "You may not open this page."
) -> Callable[[ViewT], ViewT]:
    def decorator(view: ViewT) -> ViewT:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


login_required = _role_required(lambda user: user.is_active)
staff_required = _role_required(lambda user: user.is_channel_staff)
admin_required = _role_required(lambda user: user.is_tenant_admin)
partner_required = _role_required(lambda user: user.is_partner_user)


# --- role rules -------------------------------------------------------------------------
#
# One question per rule, asked by the pages (decorators below, template filters in
# prm.web.templatetags.access) and by the API (prm.api.permissions) alike, so a door
# cannot allow what another refuses.

PROGRAMME_REFUSAL = (
    "SLA policies, the default policy and partner tiers are the tenant administrator's, "
    "and so are the products and the organisation's settings: only an administrator (or "
    "an API key with the write scope, which only administrators issue) may create or "
    "change them. Ask an administrator to make this change."
)
PARTNER_TARGETS_REFUSAL = (
    "Only the partner's channel manager or a tenant administrator may set its own SLA "
    "targets. Ask its channel manager or an administrator to make this change."
)


def may_configure_programme(user: Any) -> bool:
    """SLA policies (create, change targets, make one the default; every change is a
    version), partner tiers (create, change, delete, their programme terms), products
    and the organisation's settings (name, time zone, currency, locale).

    The tenant administrator's. An API key's service user counts too: keys are issued
    only by administrators, and the API checks the key's write scope for every change,
    so a write key carries the administrator's decision; a read key only reads.
    Channel managers and partner users are refused.
    """
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role in (Role.ADMIN, Role.INTEGRATOR)
    )


def may_set_partner_targets(user: Any, partner: Any) -> bool:
    """A partner's own SLA targets (overrides of its policy): an administrator (or a
    write key) for any partner, a channel manager for the partners they manage."""
    if may_configure_programme(user):
        return True
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.MANAGER
        and partner.channel_manager_id == user.pk
    )


# Pages are for people: a key's service user never signs in, and is refused here anyway.
programme_admin_required = _role_required(
    lambda user: user.is_channel_staff and may_configure_programme(user), PROGRAMME_REFUSAL
)
