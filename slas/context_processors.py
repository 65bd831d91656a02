"""The navbar's notification bell: the signed-in user's unread count, on tenant hosts."""

from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from .selectors import notification_list


class NotificationBell:
    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def unread(self) -> int:
        # Counted only when a page shows the bell, once; an indexed (user, read_at) count.
        return notification_list(user=self.user, unread_only=True).count()


def notifications(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if (
        tenant is None
        or tenant.schema_name == get_public_schema_name()
        or user is None
        or not user.is_authenticated
    ):
        return {}
    return {"notification_bell": NotificationBell(user)}
