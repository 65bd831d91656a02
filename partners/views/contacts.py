"""A partner's contacts: add, edit, remove."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm.web.access import staff_required
from prm.web.forms import form_errors_from

from .. import selectors, services
from ..forms import ContactForm
from ..models import Contact, Partner
from .common import acting_user, partner_or_404


def _contact_or_404(partner: Partner, contact_id: int) -> Contact:
    return get_object_or_404(selectors.contact_list(partner=partner), pk=contact_id)


@staff_required
def contact_new(request: HttpRequest, ref: str) -> HttpResponse:
    partner = partner_or_404(request, ref)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                partner=partner, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{contact.name} is a contact of {partner.name}.")
            return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#contacts")
    return render(
        request, "partners/contact_form.html", {"form": form, "partner": partner, "contact": None}
    )


@staff_required
def contact_edit(request: HttpRequest, ref: str, contact_id: int) -> HttpResponse:
    partner = partner_or_404(request, ref)
    contact = _contact_or_404(partner, contact_id)
    initial = {
        "name": contact.name,
        "role": contact.role,
        "title": contact.title,
        "email": contact.email,
        "phone": contact.phone.as_international if contact.phone else "",
        "notes": contact.notes,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                contact=contact, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{contact.name} is saved.")
            return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#contacts")
    return render(
        request,
        "partners/contact_form.html",
        {"form": form, "partner": partner, "contact": contact},
    )


@staff_required
@require_POST
def contact_delete(request: HttpRequest, ref: str, contact_id: int) -> HttpResponse:
    partner = partner_or_404(request, ref)
    contact = _contact_or_404(partner, contact_id)
    services.contact_delete(contact=contact, actor=acting_user(request))
    messages.success(request, f"{contact.name} is no longer a contact of {partner.name}.")
    return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#contacts")
