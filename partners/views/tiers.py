"""Pages of the programme's tiers, under /partners/tiers/: staff read them (with their
terms and how many partners have each); creating, changing and deleting a tier are the
tenant administrator's (prm.web.access.may_configure_programme, the rule the API's
/api/v1/tiers/ asks too)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from prm.web.access import programme_admin_required, staff_required
from prm.web.forms import form_errors_from
from prm.web.markdown import markdown_to_html

from .. import selectors, services
from ..forms_programme import TierPageForm
from ..models import Tier
from .common import acting_user


def _tier_or_404(slug: str) -> Tier:
    return get_object_or_404(selectors.tier_list(), slug=slug)


@staff_required
def tier_list(request: HttpRequest) -> HttpResponse:
    tiers = [
        {
            "tier": tier,
            "terms": {term: markdown_to_html(getattr(tier, term)) for term in selectors.TERMS},
        }
        for tier in selectors.tier_list()
    ]
    return render(request, "partners/tiers.html", {"tiers": tiers})


def _save(request: HttpRequest, tier: Tier | None) -> HttpResponse:
    initial = {field: getattr(tier, field) for field in services.TIER_FIELDS} if tier else {}
    form = TierPageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if tier is None:
                    saved = services.tier_create(actor=acting_user(request), **form.cleaned_data)
                else:
                    saved = services.tier_update(
                        tier=tier, actor=acting_user(request), **form.cleaned_data
                    )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request, f"The tier “{saved.name}” is {'created' if tier is None else 'saved'}."
            )
            return redirect("partners:tiers")
    return render(request, "partners/tier_form.html", {"form": form, "tier": tier})


@programme_admin_required
def tier_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@programme_admin_required
def tier_edit(request: HttpRequest, slug: str) -> HttpResponse:
    return _save(request, _tier_or_404(slug))


@programme_admin_required
@require_POST
def tier_delete(request: HttpRequest, slug: str) -> HttpResponse:
    tier = _tier_or_404(slug)
    try:
        with transaction.atomic():
            services.tier_delete(tier=tier, actor=acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The tier “{tier.name}” is deleted.")
    return redirect("partners:tiers")
