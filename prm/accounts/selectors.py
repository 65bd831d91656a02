from django.db.models import QuerySet

from .models import ApiKey, Role, User


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by")


def user_list_people() -> QuerySet[User]:
    """The tenant's people, without the service accounts behind API keys."""
    return User.objects.exclude(role=Role.INTEGRATOR)
