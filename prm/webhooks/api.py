"""/api/v1/webhooks/: subscriptions, their delivery log, and redelivery.

Where a tenant's events go is the tenant administrator's choice: signed-in tenant
administrators manage webhooks, and so do API keys with the `webhooks` scope (which
only an administrator can give a key), so an integration can register its own
receiver. Managers, and keys with only read or write, get 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from prm.accounts.models import ApiKey, Scope
from prm.accounts.selectors import acting_user

from . import api_examples as examples
from . import services
from .models import Attempt, Delivery, Subscription, WebhookEvent
from .selectors import delivery_log, subscription_list


class IsTenantAdminOrWebhooksKey(BasePermission):
    message = "Webhooks are managed by tenant administrators only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.auth, ApiKey):
            if request.auth.has_scope(Scope.WEBHOOKS):
                return True
            self.message = (
                f'This API key lacks the "{Scope.WEBHOOKS}" scope; a tenant administrator '
                "can create a key with it under Settings → API keys."
            )
            return False
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_tenant_admin", False))


@extend_schema_serializer(examples=examples.SUBSCRIPTION_EXAMPLES)
class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]


@extend_schema_serializer(examples=examples.CREATED_SUBSCRIPTION_EXAMPLES)
class CreatedSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Shown once: verify signatures with it."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        # The receiver's answer body is never read or kept: its status code and the time
        # taken say whether it worked, and `error` is a coarse reason when there is none.
        fields = ["attempted_at", "status_code", "error", "duration_ms"]


@extend_schema_serializer(examples=examples.DELIVERY_EXAMPLES)
class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "event_id",
            "state",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
            "attempt_log",
        ]


class SubscriptionViewSet(viewsets.ModelViewSet):
    """Webhook subscriptions, for tenant administrators and API keys with the
    `webhooks` scope. A receiver's `url` must be https:// on the public internet:
    its host is resolved and every address it has must be public (not loopback,
    private, link-local, shared or reserved), when subscribing and before every
    delivery; redirects are not followed."""

    permission_classes = [IsTenantAdminOrWebhooksKey]
    serializer_class = SubscriptionSerializer
    filterset_fields = ["is_active"]
    ordering_fields = ["created_at", "url"]

    def get_queryset(self) -> QuerySet[Subscription]:
        return subscription_list()

    @extend_schema(request=SubscriptionSerializer, responses={201: CreatedSubscriptionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = services.subscription_create(
            url=data.validated_data["url"],
            events=data.validated_data["events"],
            description=data.validated_data.get("description", ""),
            actor=acting_user(request),
        )
        body = CreatedSubscriptionSerializer(subscription).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SubscriptionSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        subscription = services.subscription_update(
            subscription=self.get_object(), **data.validated_data
        )
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(responses=DeliverySerializer(many=True), summary="The delivery log")
    @action(detail=True, methods=["get"], pagination_class=None)  # the last 100, one plain list
    def deliveries(self, request: Request, pk: str) -> Response:
        deliveries = delivery_log(subscription=self.get_object())[:100]
        return Response(DeliverySerializer(deliveries, many=True).data)


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log, for tenant administrators and API keys with the `webhooks`
    scope: each try's status code, time taken and a coarse error, never the
    receiver's answer body."""

    permission_classes = [IsTenantAdminOrWebhooksKey]
    serializer_class = DeliverySerializer
    filterset_fields = ["state", "event", "subscription"]

    def get_queryset(self) -> QuerySet[Delivery]:
        return delivery_log()

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        summary="Send the delivery again",
        examples=examples.REDELIVERY_EXAMPLES,
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str) -> Response:
        delivery = services.delivery_redeliver(delivery=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
