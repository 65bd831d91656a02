"""The notification list: every signed-in user's own, and marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm.web.access import login_required

from .. import selectors, services
from .common import actor, safe_next

NOTIFICATIONS_PAGE_SIZE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notifications = selectors.notification_list(user=request.user, unread_only=unread_only)
    page = Paginator(notifications, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "slas/notifications.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": selectors.notification_list(
                user=request.user, unread_only=True
            ).count(),
            "section": "notifications",
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(
        selectors.notification_list(user=request.user), pk=notification_id
    )
    services.notifications_mark_read(user=actor(request), notification_id=notification.pk)
    if "open" in request.POST and notification.link:
        return redirect(safe_next(request, notification.link, reverse("slas:notifications")))
    return redirect(safe_next(request, request.POST.get("next"), reverse("slas:notifications")))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(user=actor(request))
    messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked read.")
    return redirect("slas:notifications")
