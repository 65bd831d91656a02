"""Routes each request to its tenant's schema by host name.

django-tenants' middleware does the routing; this subclass adds two things it does
not have: the host -> tenant lookup is cached (one query per host per few minutes,
not per request), and an unknown host gets a plain 404 page naming nothing, never
the public site or another tenant.

TenantTimeZoneMiddleware, right after it, makes the tenant's time zone Django's
active one while its request is answered (UTC in the public schema), so the times a
page shows and the dates a form reads are the tenant's. The API stays in UTC: its
times are ISO 8601 with `Z` (prm.api.renderers) and an offset-less time a client
sends is read as UTC, whatever the tenant; an endpoint that counts the tenant's days
(the metrics) takes its zone itself.
"""

from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware

from prm.api.handlers import API_PREFIXES

from . import selectors
from .clock import tenant_zone


class TenantMiddleware(TenantMainMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return super().process_request(request)
        except DatabaseError as error:
            # Without the database no host can be routed; the health check still
            # owes its caller an answer rather than a server error page.
            if request.path.rstrip("/") == "/healthz":
                return JsonResponse(
                    {
                        "status": "down",
                        "down": ["database"],
                        "checks": {
                            "database": {
                                "status": "down",
                                "error": str(error).strip() or "unreachable",
                            }
                        },
                    },
                    status=503,
                )
            raise

    def get_tenant(self, domain_model, hostname):
        tenant = selectors.tenant_get_for_host(hostname=hostname)
        if tenant is None:
            raise domain_model.DoesNotExist(hostname)
        return tenant

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponseNotFound:
        return HttpResponseNotFound(
            render_to_string("tenancy/unknown_host.html", request=None),
            content_type="text/html; charset=utf-8",
        )


class TenantTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIXES):
            return self.get_response(request)
        # override() puts back what was active before (none: UTC), so a thread that
        # answers another tenant next starts clean.
        with timezone.override(tenant_zone()):
            return self.get_response(request)
