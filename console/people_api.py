"""The users API, /api/v1/users/: a tenant's people, for administrators signed in and
API keys with the write scope only (people's addresses are not for every integration).

List and read, invite (create: the person gets the invitation mail), change the name,
role, partner (`partner` = the partner's ref, partner users only) and `is_active`
(false deactivates: their sessions end at once; true reactivates); resend an
invitation and send a password reset. Through the same services as Settings → People
(console.people_services, prm.accounts.services). Here in the console, not in the
platform, because a partner user's partner is the registry's (partners), which the
platform may not import.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from partners.models import Partner
from partners.selectors import partner_for_portal_user, partner_get_for_user
from prm.accounts.models import PERSON_ROLE_CHOICES, ApiKey, User
from prm.accounts.selectors import acting_user, user_list_people
from prm.accounts.services import (
    UNCHANGED,
    invitation_send,
    password_reset_send,
    user_deactivate,
    user_reactivate,
)

from .people_services import person_invite, person_update

PERSON_EXAMPLE = {
    "id": 7,
    "email": "ana@northwind.example",
    "full_name": "Ana Lima",
    "role": "partner",
    "partner": "northwind",
    "is_active": True,
    "invitation_pending": True,
    "invited_at": "2026-12-04T10:00:00Z",
    "last_login": None,
    "created_at": "2026-12-04T10:00:00Z",
}


class PeopleAccess(BasePermission):
    """Tenant administrators signed in, or an API key with the write scope."""

    message = (
        "People are managed by tenant administrators, or with an API key that has the "
        '"write" scope.'
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            if not request.auth.has_scope("write"):
                self.message = (
                    'This API key lacks the "write" scope; people are read and managed '
                    "with write keys only."
                )
                return False
            return True
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_tenant_admin", False))


@extend_schema_serializer(
    examples=[OpenApiExample("A partner user", value=PERSON_EXAMPLE, response_only=True)]
)
class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=PERSON_ROLE_CHOICES, read_only=True)
    partner = serializers.SerializerMethodField(
        help_text="The ref of a partner user's partner; null for staff."
    )
    is_active = serializers.BooleanField(read_only=True)
    invitation_pending = serializers.BooleanField(
        read_only=True, help_text="Invited, and no password set yet."
    )
    invited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_partner(self, user: User) -> str | None:
        partner = partner_for_portal_user(user=user)
        return partner.ref if partner is not None else None


@extend_schema_serializer(
    examples=[
        OpenApiExample("Deactivate", value={"is_active": False}, request_only=True),
        OpenApiExample(
            "Move a partner user to another partner",
            value={"partner": "contoso"},
            request_only=True,
        ),
        OpenApiExample(
            "Make a manager an administrator",
            value={"role": "admin", "full_name": "Ana Lima"},
            request_only=True,
        ),
    ]
)
class PersonUpdateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=PERSON_ROLE_CHOICES, required=False)
    partner = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="A partner's ref: required for the role partner, null (or absent) for staff.",
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="false deactivates (their sessions end at once), true reactivates.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A partner user of northwind",
            value={
                "email": "ana@northwind.example",
                "full_name": "Ana Lima",
                "role": "partner",
                "partner": "northwind",
            },
            request_only=True,
        ),
        OpenApiExample(
            "A channel manager",
            value={"email": "sam@vendor.example", "full_name": "Sam Field", "role": "manager"},
            request_only=True,
        ),
    ]
)
class PersonInviteSerializer(PersonUpdateSerializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=PERSON_ROLE_CHOICES)
    is_active = None  # type: ignore[assignment]


def _partner(request: Request, ref: str | None) -> Partner | None:
    if not ref:
        return None
    try:
        return partner_get_for_user(user=request.user, ref=ref)
    except Partner.DoesNotExist as error:
        raise ValidationError({"partner": [f'There is no partner with ref "{ref}".']}) from error


@extend_schema_view(
    list=extend_schema(summary="The tenant's people (no API keys' service accounts)"),
    retrieve=extend_schema(summary="One person"),
)
class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tenant administrators (signed in) and write keys manage the tenant's people."""

    permission_classes = [PeopleAccess]
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = PersonSerializer
    filterset_fields = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    ordering_fields = ["email", "full_name", "created_at", "last_login"]

    def get_queryset(self) -> QuerySet[User]:
        return user_list_people().select_related("partner_link__partner")

    @extend_schema(
        request=PersonInviteSerializer,
        responses={201: PersonSerializer},
        summary="Invite a person (mails a link that sets their password)",
    )
    def create(self, request: Request) -> Response:
        data = PersonInviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = person_invite(
            email=values["email"],
            full_name=values.get("full_name", ""),
            role=values["role"],
            partner=_partner(request, values.get("partner")),
            invited_by=acting_user(request),
        )
        return Response(PersonSerializer(user).data, status=201)

    @extend_schema(
        request=PersonUpdateSerializer,
        responses=PersonSerializer,
        summary="Change a person's name, role, partner, or deactivate / reactivate them",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        data = PersonUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        actor = acting_user(request)
        with transaction.atomic():
            if {"full_name", "role", "partner"} & set(values):
                person_update(
                    user=person,
                    actor=actor,
                    full_name=values.get("full_name"),
                    role=values.get("role"),
                    partner=(
                        _partner(request, values["partner"]) if "partner" in values else UNCHANGED
                    ),
                )
            if values.get("is_active") is False:
                user_deactivate(user=person, actor=actor)
            elif values.get("is_active") is True:
                user_reactivate(user=person, actor=actor)
        return Response(PersonSerializer(self.get_queryset().get(pk=person.pk)).data)

    @extend_schema(
        request=None,
        responses=PersonSerializer,
        summary="Send a new invitation (the last link stops working)",
    )
    @action(detail=True, methods=["post"], url_path="invitation")
    def invitation(self, request: Request, pk: str | None = None) -> Response:
        person = invitation_send(user=self.get_object(), actor=acting_user(request))
        return Response(PersonSerializer(person).data)

    @extend_schema(
        request=None, responses={204: None}, summary="Mail the person a password reset link"
    )
    @action(detail=True, methods=["post"], url_path="password-reset")
    def password_reset(self, request: Request, pk: str | None = None) -> Response:
        password_reset_send(user=self.get_object())
        return Response(status=204)
