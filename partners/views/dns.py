"""The partner page's DNS panel: check the name servers again, fill empty DNS fields
from the lookup."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm.web.access import staff_required

from .. import services
from ..dns import DnsStatus
from ..models import Partner
from .common import acting_user, partner_or_404


def _dns_panel(request: HttpRequest, partner: Partner, problem: str = "") -> HttpResponse:
    return render(
        request,
        "partners/_dns_panel.html",
        {"partner": partner, "dns_problem": problem},
    )


@staff_required
@require_POST
def partner_dns_check(request: HttpRequest, ref: str) -> HttpResponse:
    """Look the name servers up again; htmx swaps the DNS panel in place, a browser
    without JavaScript comes back to the partner page."""
    partner = partner_or_404(request, ref)
    problem = ""
    try:
        services.partner_dns_check(partner=partner)
    except ValidationError as error:
        problem = " ".join(error.messages)
    if getattr(request, "htmx", False):
        return _dns_panel(request, partner, problem)
    if problem:
        messages.error(request, problem)
    else:
        messages.info(request, f"DNS checked: {partner.get_dns_status_display().lower()}.")
    return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#dns")


@staff_required
@require_POST
def partner_dns_detect(request: HttpRequest, ref: str) -> HttpResponse:
    """Fill empty primary and secondary DNS from the lookup."""
    partner = partner_or_404(request, ref)
    before = (partner.primary_dns, partner.secondary_dns)
    try:
        services.partner_dns_detect(partner=partner, actor=acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if (partner.primary_dns, partner.secondary_dns) != before:
            filled = ", ".join(
                value for value in (partner.primary_dns, partner.secondary_dns) if value
            )
            messages.success(request, f"DNS filled in from the lookup: {filled}.")
        elif partner.dns_status in (DnsStatus.OK, DnsStatus.MISMATCH):
            messages.info(
                request,
                "Nothing to fill in: both DNS fields are set or the lookup found no other "
                "name server. The check is stored.",
            )
        else:
            messages.warning(
                request,
                f"The lookup found no name servers ({partner.get_dns_status_display().lower()}"
                f"{': ' + partner.dns_error if partner.dns_error else ''}).",
            )
    return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#dns")
