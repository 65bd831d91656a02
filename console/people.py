"""Settings → People: the tenant administrator invites people (a partner user with its
partner in the same form), changes their name, role and partner, deactivates and
reactivates them, resends an invitation and sends a password reset.

The pages are thin doors: account-only writes are prm.accounts.services, the writes
that also touch the partner link console.people_services (which the users API calls
too). Partners whose channel manager is deactivated are flagged here with a link to
the bulk reassign page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from partners.selectors import (
    partner_count_managed,
    partner_counts_by_manager,
    partner_for_portal_user,
    partner_list_of_inactive_managers,
)
from prm.accounts.invitations import invitation_days, invitation_expires
from prm.accounts.models import User
from prm.accounts.selectors import acting_user, user_list_people
from prm.accounts.services import (
    invitation_send,
    password_reset_send,
    user_deactivate,
    user_reactivate,
)
from prm.web.access import admin_required
from prm.web.forms import form_errors_from
from prm.web.views import settings_nav

from .people_forms import InviteForm, PersonForm
from .people_services import person_invite, person_update


def _reassign_url(manager_email: str) -> str:
    """The bulk reassign page with `manager_email`'s whole portfolio chosen."""
    return reverse("partners:reassign") + "?" + urlencode({"from_manager": manager_email})


def reassign_flags() -> list[dict[str, Any]]:
    """Deactivated managers who still have partners, each with how many and the link
    that moves their whole portfolio."""
    rows = (
        partner_list_of_inactive_managers()
        .order_by()
        .values("channel_manager__email", "channel_manager__full_name")
        .annotate(partners=Count("id"))
        .order_by("channel_manager__email")
    )
    return [
        {
            "email": row["channel_manager__email"],
            "name": row["channel_manager__full_name"] or row["channel_manager__email"],
            "partners": row["partners"],
            "reassign_url": _reassign_url(row["channel_manager__email"]),
        }
        for row in rows
    ]


def _people_context(**context: Any) -> dict[str, Any]:
    return {"settings_nav": settings_nav("people"), **context}


def _person(user_id: int) -> User:
    return get_object_or_404(user_list_people(), pk=user_id)


@admin_required
def people_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    people = user_list_people(state=state).select_related("partner_link__partner", "invited_by")
    managed = partner_counts_by_manager()
    rows = [
        {
            "person": person,
            "partner": getattr(getattr(person, "partner_link", None), "partner", None),
            "managed": managed.get(person.pk, 0),
            "expires": invitation_expires(user=person),
        }
        for person in people
    ]
    return render(
        request,
        "console/people/list.html",
        _people_context(rows=rows, flags=reassign_flags(), state=state),
    )


@admin_required
def person_invite_page(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = person_invite(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                partner=form.cleaned_data["partner"],
                invited_by=acting_user(request),
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                f"An invitation is on its way to {user.email}; its link works for "
                f"{invitation_days()} days.",
            )
            return redirect("console:people")
    return render(
        request,
        "console/people/invite.html",
        _people_context(form=form, days=invitation_days()),
    )


@admin_required
def person_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    current = partner_for_portal_user(user=person)
    initial = {
        "full_name": person.full_name,
        "role": person.role,
        "partner": current.ref if current else "",
    }
    form = PersonForm(request.POST or None, actor=request.user, current=current, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person_update(
                user=person,
                actor=acting_user(request),
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                partner=form.cleaned_data["partner"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{person.get_full_name()} is saved.")
            return redirect("console:person_edit", user_id=person.pk)
    managed = partner_count_managed(user=person)
    return render(
        request,
        "console/people/edit.html",
        _people_context(
            form=form,
            person=person,
            partner=current,
            managed=managed,
            is_self=person.pk == request.user.pk,
            expires=invitation_expires(user=person),
            reassign_url=_reassign_url(person.email),
        ),
    )


def _act(request: HttpRequest, person: User, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("console:person_edit", user_id=person.pk)


@admin_required
@require_POST
def person_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    managed = partner_count_managed(user=person)
    done = f"{person.get_full_name()} is deactivated and signed out everywhere."
    if managed:
        done += (
            f" {managed} partner{'s' if managed != 1 else ''} still "
            f"{'have' if managed != 1 else 'has'} them as channel manager: reassign "
            f"{'them' if managed != 1 else 'it'}."
        )
    return _act(
        request, person, lambda: user_deactivate(user=person, actor=acting_user(request)), done
    )


@admin_required
@require_POST
def person_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    return _act(
        request,
        person,
        lambda: user_reactivate(user=person, actor=acting_user(request)),
        f"{person.get_full_name()} can sign in again.",
    )


@admin_required
@require_POST
def person_invitation_resend(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    return _act(
        request,
        person,
        lambda: invitation_send(user=person, actor=acting_user(request)),
        f"A new invitation is on its way to {person.email}; the link of the last one no "
        "longer works.",
    )


@admin_required
@require_POST
def person_password_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    return _act(
        request,
        person,
        lambda: password_reset_send(user=person),
        f"A password reset link is on its way to {person.email}.",
    )
