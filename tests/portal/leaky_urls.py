"""The tenant URLs plus two pages that trust a URL parameter instead of the user, for
the test of the portal walk: it must report both and nothing else."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from partners.models import Partner
from prm.web.access import partner_required


@partner_required
def portal_peek(request: HttpRequest, ref: str) -> HttpResponse:
    # A portal page that takes its partner from the URL: any ref shows any partner.
    return HttpResponse(Partner.objects.get(ref=ref).name)


@partner_required
def portal_empty(request: HttpRequest) -> HttpResponse:
    # A page outside the portal that answers partner users (with nothing of Y, but
    # nothing of the user's own partner either): the walk cannot call it the user's own.
    return HttpResponse("ok")


peek_patterns = ([path("peek/<slug:ref>/", portal_peek, name="peek")], "portal")

urlpatterns = [
    path("", include("prm.urls")),
    path("peek-portal/", include(peek_patterns, namespace="leaky_portal")),
    path("elsewhere/", portal_empty, name="elsewhere"),
]
