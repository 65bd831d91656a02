"""The API root: every domain app mounts its router here under /api/v1/."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import DefaultRouter

from prm.tenancy.api import TenantView
from prm.web.access import public_view

from .docs import DocsView, SchemaView
from .views import ApiKeyViewSet, MeView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("api-keys", ApiKeyViewSet, basename="api-key")


@public_view
@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request: Request) -> Response:
    return Response(
        {
            "me": reverse("api:me", request=request),
            "tenant": reverse("api:tenant", request=request),
            "api_keys": reverse("api:api-key-list", request=request),
            "partners": reverse("api:partner-list", request=request),
            "products": reverse("api:product-list", request=request),
            "tiers": reverse("api:tier-list", request=request),
            "slas": reverse("api:sla-list", request=request),
            "requests": reverse("api:request-list", request=request),
            "users": reverse("api:user-list", request=request),
            "schema": reverse("api-schema", request=request),
            "docs": reverse("api-docs", request=request),
        }
    )


v1: list[URLPattern | URLResolver] = [
    path("", api_root, name="root"),
    path("me/", MeView.as_view(), name="me"),
    path("tenant/", TenantView.as_view(), name="tenant"),
    path("", include(router.urls)),
    path("", include("slas.urls_api")),
    path("", include("reporting.urls_api")),
    path("", include("prm.webhooks.urls_api")),
    path("", include("partners.urls_api")),
    path("", include("console.urls_api")),
]

urlpatterns = [
    path("api/v1/", include((v1, "api"))),
    path("api/schema/", public_view(SchemaView.as_view()), name="api-schema"),
    path("api/docs/", public_view(DocsView.as_view(url_name="api-schema")), name="api-docs"),
]
