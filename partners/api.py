"""The registry's API: /api/v1/partners/ (by ref), their contacts, /api/v1/products/
(by sku) and /api/v1/tiers/ (by slug). Views check access and call the services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from prm.accounts.models import User
from prm.accounts.selectors import acting_user
from prm.api.fields import OptionalEmailField
from prm.api.permissions import IsStaffOrScopedKey, ProgrammeWrites

from . import api_examples as examples
from . import selectors, services
from .dns import DnsStatus
from .filters import PartnerFilter
from .models import Contact, ContactRole, Partner, PartnerStatus, Product, Tier
from .selectors import default_channel_manager
from .serializers import PartnerInputSerializer
from .validators import display_domain

SLUG_REGEX = r"[-a-zA-Z0-9_]+"


@extend_schema_serializer(examples=[examples.PARTNER_RESPONSE])
class PartnerSerializer(serializers.ModelSerializer):
    """A partner as the API shows it; writes go through PartnerInputSerializer."""

    domain_display = serializers.SerializerMethodField(help_text="The domain in Unicode.")
    country = serializers.CharField(source="country.code", allow_blank=True)
    phone = serializers.CharField()
    contact_phone = serializers.CharField()
    products = serializers.ManyRelatedField(
        child_relation=serializers.SlugRelatedField[Product](slug_field="sku", read_only=True),
        read_only=True,
    )
    sla: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    channel_manager: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True
    )
    contact_email = OptionalEmailField(read_only=True)
    tier: serializers.SlugRelatedField[Tier] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    allowed_transitions = serializers.SerializerMethodField()
    dns = serializers.SerializerMethodField()
    effective_roles = serializers.CharField(read_only=True)
    effective_responsibilities = serializers.CharField(read_only=True)
    effective_benefits = serializers.CharField(read_only=True)
    calling_code = serializers.CharField(read_only=True)

    class Meta:
        model = Partner
        fields = [
            "ref",
            "name",
            "domain",
            "domain_display",
            "phone",
            "contact_name",
            "contact_email",
            "contact_phone",
            "street",
            "city",
            "region",
            "postal_code",
            "country",
            "calling_code",
            "primary_dns",
            "secondary_dns",
            "products",
            "sla",
            "channel_manager",
            "tier",
            "status",
            "allowed_transitions",
            "roles",
            "responsibilities",
            "benefits",
            "effective_roles",
            "effective_responsibilities",
            "effective_benefits",
            "notes",
            "tags",
            "dns",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_domain_display(self, partner: Partner) -> str:
        return display_domain(partner.domain)

    def get_allowed_transitions(self, partner: Partner) -> list[str]:
        return services.allowed_transitions(partner.status)

    def get_dns(self, partner: Partner) -> dict[str, Any]:
        return {
            "status": partner.dns_status or None,
            "nameservers": partner.dns_nameservers,
            "checked_at": partner.dns_checked_at,
            "error": partner.dns_error,
        }


class DnsCheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[choice for choice, _ in DnsStatus.CHOICES])
    nameservers = serializers.ListField(child=serializers.CharField())
    checked_at = serializers.DateTimeField()
    error = serializers.CharField(allow_blank=True)
    recorded = serializers.ListField(child=serializers.CharField())


@extend_schema_view(
    list=extend_schema(summary="List partners (search, filter, order, paginate)"),
    retrieve=extend_schema(summary="Read a partner"),
    create=extend_schema(
        summary="Create a partner",
        request=PartnerInputSerializer,
        examples=[examples.PARTNER_REQUEST, examples.PARTNER_RESPONSE],
    ),
    update=extend_schema(
        summary="Replace a partner's fields",
        request=PartnerInputSerializer,
        examples=[examples.PARTNER_REPLACE, examples.PARTNER_ACTIVE_RESPONSE],
    ),
    partial_update=extend_schema(
        summary="Change some fields (and the status)",
        request=PartnerInputSerializer,
        examples=[
            examples.PARTNER_STATUS_CHANGE,
            examples.PARTNER_TIER_CHANGE,
            examples.PARTNER_ACTIVE_RESPONSE,
        ],
    ),
    destroy=extend_schema(summary="Delete a partner entered by mistake (terminate it otherwise)"),
)
class PartnerViewSet(viewsets.ModelViewSet):
    serializer_class = PartnerSerializer
    lookup_field = "ref"
    lookup_value_regex = SLUG_REGEX
    filterset_class = PartnerFilter
    search_fields = ["name", "ref", "domain", "contact_name", "contact_email"]
    ordering_fields = ["name", "ref", "country", "status", "created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Partner]:
        return selectors.partner_list_for_user(user=self.request.user)

    def _input(self, request: Request, *, partial: bool) -> dict[str, Any]:
        data = PartnerInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        fields = self._input(request, partial=False)
        status_value = fields.pop("status", PartnerStatus.PROSPECT)
        reason = fields.pop("status_reason", "")
        if not fields.get("channel_manager"):
            fields["channel_manager"] = default_channel_manager(request.user)
        partner = services.partner_create(
            actor=acting_user(request), status=status_value, reason=reason, **fields
        )
        partner = self.get_queryset().get(pk=partner.pk)
        return Response(PartnerSerializer(partner).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.get_object()
        fields = self._input(request, partial=kwargs.get("partial", False))
        status_value = fields.pop("status", None)
        reason = fields.pop("status_reason", "")
        services.partner_update(
            partner=partner,
            actor=acting_user(request),
            status=status_value,
            reason=reason,
            **fields,
        )
        return Response(PartnerSerializer(self.get_queryset().get(pk=partner.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.partner_delete(partner=self.get_object(), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=DnsCheckSerializer,
        summary="Check the domain's name servers now",
        examples=[examples.DNS_CHECK_OK, examples.DNS_CHECK_MISMATCH, examples.DNS_CHECK_TIMEOUT],
    )
    @action(detail=True, methods=["post"], url_path="dns-check")
    def dns_check(self, request: Request, ref: str) -> Response:
        partner = services.partner_dns_check(partner=self.get_object())
        return Response(
            DnsCheckSerializer(
                {
                    "status": partner.dns_status,
                    "nameservers": partner.dns_nameservers,
                    "checked_at": partner.dns_checked_at,
                    "error": partner.dns_error,
                    "recorded": [
                        value for value in (partner.primary_dns, partner.secondary_dns) if value
                    ],
                }
            ).data
        )

    @extend_schema(
        responses=serializers.ListSerializer(child=serializers.DictField()),
        summary="Audit history",
        examples=[examples.HISTORY],
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # one plain list
    def history(self, request: Request, ref: str) -> Response:
        entries = selectors.audit_entries(partner=self.get_object())
        return Response(
            [
                {
                    "when": entry["when"],
                    "who": getattr(entry["who"], "email", None),
                    "what": entry["what"],
                    "object": str(entry["object"]),
                    "changes": [
                        {
                            "field": change["field"],
                            "old": _plain(change["old"]),
                            "new": _plain(change["new"]),
                        }
                        for change in entry["changes"]
                    ],
                }
                for entry in entries
            ]
        )


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


@extend_schema_serializer(examples=examples.CONTACT_EXAMPLES)
class ContactSerializer(serializers.ModelSerializer):
    # Phone and e-mail are checked by the service, which reports every field at once.
    phone = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    role = serializers.ChoiceField(choices=ContactRole.choices, required=False)

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "role",
            "title",
            "email",
            "phone",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class ContactViewSet(viewsets.ModelViewSet):
    """The contacts of one partner: /api/v1/partners/{ref}/contacts/."""

    serializer_class = ContactSerializer
    ordering_fields = ["name", "role", "created_at"]
    search_fields = ["name", "email", "title"]
    filterset_fields = ["role"]

    def partner(self) -> Partner:
        try:
            return selectors.partner_get_for_user(
                user=self.request.user, ref=self.kwargs["partner_ref"]
            )
        except Partner.DoesNotExist as error:
            raise NotFound("There is no such partner.") from error

    def get_queryset(self) -> QuerySet[Contact]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no partner
            return Contact.objects.none()
        return selectors.contact_list(partner=self.partner())

    def _fields(self, request: Request, partial: bool) -> dict[str, Any]:
        data = ContactSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contact = services.contact_create(
            partner=self.partner(), actor=acting_user(request), **self._fields(request, False)
        )
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contact = services.contact_update(
            contact=self.get_object(),
            actor=acting_user(request),
            **self._fields(request, kwargs.get("partial", False)),
        )
        return Response(ContactSerializer(contact).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.contact_delete(contact=self.get_object(), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(examples=examples.PRODUCT_EXAMPLES)
class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["sku", "name", "description", "is_active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"sku": {"validators": []}}


PRODUCT_RULE = (
    "Reading is open to vendor staff and to API keys with the read scope. Creating, "
    "changing and deleting products are the tenant administrator's: a signed-in "
    "administrator, or an API key with the write scope. Channel managers get 403. A "
    "product that partners offer, or that orders or inventory name, is not deleted (409): "
    "retire it instead with `is_active: false`."
)


@extend_schema_view(
    list=extend_schema(description=PRODUCT_RULE),
    create=extend_schema(description=PRODUCT_RULE),
    update=extend_schema(description=PRODUCT_RULE),
    partial_update=extend_schema(description=PRODUCT_RULE),
    destroy=extend_schema(description=PRODUCT_RULE),
)
class ProductViewSet(viewsets.ModelViewSet):
    permission_classes = [IsStaffOrScopedKey, ProgrammeWrites]
    serializer_class = ProductSerializer
    lookup_field = "sku"
    lookup_value_regex = SLUG_REGEX
    search_fields = ["sku", "name"]
    ordering_fields = ["sku", "name", "created_at"]
    filterset_fields = ["is_active"]

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ProductSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(actor=acting_user(request), **data.validated_data)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ProductSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        product = services.product_update(
            product=self.get_object(), actor=acting_user(request), **data.validated_data
        )
        return Response(ProductSerializer(product).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.product_delete(product=self.get_object(), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(examples=examples.TIER_EXAMPLES)
class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = [
            "slug",
            "name",
            "rank",
            "roles",
            "responsibilities",
            "benefits",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"slug": {"validators": []}}


TIER_RULE = (
    "Reading is open to vendor staff and to API keys with the read scope. Creating, "
    "changing and deleting tiers (and their programme terms) are the tenant "
    "administrator's: a signed-in administrator, or an API key with the write scope "
    "(only administrators issue keys). Channel managers get 403."
)


@extend_schema_view(
    list=extend_schema(description=TIER_RULE),
    create=extend_schema(description=TIER_RULE),
    update=extend_schema(description=TIER_RULE),
    partial_update=extend_schema(description=TIER_RULE),
    destroy=extend_schema(description=TIER_RULE),
)
class TierViewSet(viewsets.ModelViewSet):
    permission_classes = [IsStaffOrScopedKey, ProgrammeWrites]
    serializer_class = TierSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    ordering_fields = ["rank", "name"]

    def get_queryset(self) -> QuerySet[Tier]:
        return selectors.tier_all()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TierSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tier = services.tier_create(actor=acting_user(request), **data.validated_data)
        return Response(TierSerializer(tier).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TierSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        tier = services.tier_update(
            tier=self.get_object(), actor=acting_user(request), **data.validated_data
        )
        return Response(TierSerializer(tier).data)
