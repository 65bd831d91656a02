from typing import Any

from django.db.models import QuerySet

from .models import ApiKey, Role, User


def acting_user(request: Any) -> User | None:
    """The user a request acts as: a person signed in, or an API key's service user."""
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by")


def user_list_people() -> QuerySet[User]:
    """The tenant's people, without the service accounts behind API keys."""
    return User.objects.exclude(role=Role.INTEGRATOR)
