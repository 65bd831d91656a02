"""The organisation's settings in the API: GET and PATCH /api/v1/tenant/ (name, time
zone, currency, locale), through prm.tenancy.services.tenant_update like the
organisation page. The default SLA policy is an SLA setting:
PATCH /api/v1/slas/{slug}/ with {"is_default": true}."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from prm.accounts.selectors import acting_user
from prm.api.permissions import IsStaffOrScopedKey, ProgrammeWrites

from .models import Tenant
from .services import tenant_update

TENANT_RULE = (
    "The organisation this API key or session belongs to. Reading is open to vendor staff "
    "and to API keys with the read scope (an integration learns the currency its amounts "
    "are in). Changing it is the tenant administrator's: a signed-in administrator, or an "
    "API key with the write scope; channel managers get 403. A new time zone, currency or "
    "locale applies from the next request on. The default SLA policy is set on the policy: "
    'PATCH /api/v1/slas/{slug}/ with {"is_default": true}.'
)

TENANT_EXAMPLE = {
    "slug": "demo",
    "name": "Orchard Networks",
    "time_zone": "Europe/Berlin",
    "currency": "EUR",
    "locale": "de_DE",
    "updated_at": "2026-12-04T19:05:31.118409Z",
}


class TenantSerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True, help_text="Its host is <slug>.<base domain>.")
    name = serializers.CharField(max_length=200, required=False)
    time_zone = serializers.CharField(
        required=False, help_text="An IANA time zone, e.g. Europe/Berlin: the tenant's days."
    )
    currency = serializers.CharField(
        required=False, help_text="ISO 4217 code of the currency of every amount, e.g. EUR."
    )
    locale = serializers.CharField(
        required=False,
        help_text="CLDR locale in which people read numbers and dates, e.g. de_DE.",
    )
    updated_at = serializers.DateTimeField(read_only=True)


class TenantView(APIView):
    permission_classes = [IsStaffOrScopedKey, ProgrammeWrites]

    def _tenant(self, request: Request) -> Tenant:
        tenant = getattr(request, "tenant", None)
        assert isinstance(tenant, Tenant)  # the API is only routed on tenant hosts
        return tenant

    @extend_schema(
        operation_id="tenant_retrieve",
        summary="The organisation's settings",
        description=TENANT_RULE,
        responses=TenantSerializer,
        examples=[OpenApiExample("The demo tenant", value=TENANT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return Response(TenantSerializer(self._tenant(request)).data)

    @extend_schema(
        operation_id="tenant_partial_update",
        summary="Change the organisation's settings",
        description=TENANT_RULE,
        request=TenantSerializer,
        responses=TenantSerializer,
        examples=[
            OpenApiExample(
                "Move to Berlin, euros and German formats",
                value={"time_zone": "Europe/Berlin", "currency": "EUR", "locale": "de_DE"},
                request_only=True,
            ),
            OpenApiExample("The changed tenant", value=TENANT_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request) -> Response:
        data = TenantSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        tenant = self._tenant(request)
        fields: dict[str, Any] = dict(data.validated_data)
        tenant_update(tenant=tenant, actor=acting_user(request), **fields)
        return Response(TenantSerializer(tenant).data)
