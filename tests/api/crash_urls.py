"""The tenant URLs plus one view that crashes, to see what an API client gets."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from prm.urls import urlpatterns as tenant_urlpatterns


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("api/v1/crash/", crash), *tenant_urlpatterns]

handler500 = "prm.api.handlers.server_error"
