"""The tenant URLs plus one view that ignores the tenant and every access rule, for the
test of the cross-tenant walk: the walk must report this view and nothing else."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django_tenants.utils import schema_context

from prm.accounts.models import User


def leaky_partner(request: HttpRequest, ref: str) -> JsonResponse:
    # Reads a fixed tenant, whoever asks on whichever host, and checks nobody.
    with schema_context("alpha"):
        emails = list(User.objects.values_list("email", flat=True))
    return JsonResponse({"ref": ref, "users": emails})


urlpatterns = [
    path("", include("prm.urls")),
    path("leaky/<slug:ref>/", leaky_partner, name="leaky"),
]
