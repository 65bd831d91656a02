from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Q, QuerySet

from .models import ApiKey, Role, User


def acting_user(request: Any) -> User | None:
    """The user a request acts as: a person signed in, or an API key's service user."""
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by")


def user_list_people(*, state: str = "") -> QuerySet[User]:
    """The tenant's people, without the service accounts behind API keys; `state`
    "active" or "inactive" keeps only those (anything else: everyone)."""
    people = User.objects.exclude(role=Role.INTEGRATOR)
    if state == "active":
        return people.filter(is_active=True)
    if state == "inactive":
        return people.filter(is_active=False)
    return people


def user_list_admins() -> QuerySet[User]:
    """The active administrators: whom people ask for access."""
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("full_name", "email")


def people_counts() -> dict[str, int]:
    """How many people are active, deactivated, and invited without a password yet."""
    return user_list_people().aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        inactive=Count("pk", filter=Q(is_active=False)),
        invited=Count(
            "pk",
            filter=Q(
                is_active=True,
                invited_at__isnull=False,
                password__startswith=UNUSABLE_PASSWORD_PREFIX,
            ),
        ),
    )
