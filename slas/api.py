"""SLA API: /api/v1/slas/ (by slug), /api/v1/partners/{ref}/sla/ (effective SLA and
overrides) and /api/v1/requests/ (partner requests, their clocks and conversation:
`respond` and `resolve` take the reply the partner reads, `messages` lists them)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partners.models import Partner
from partners.selectors import partner_get_for_user
from prm.accounts.models import User
from prm.accounts.selectors import acting_user
from prm.api.errors import Conflict
from prm.api.permissions import IsStaffOrScopedKey, ProgrammeWrites, check_partner_targets

from . import api_examples as examples
from . import selectors, services
from .calendar import CalendarError
from .clocks import read_clock
from .models import (
    STAFF_MESSAGE_KINDS,
    TARGET_FIELDS,
    WEEKDAYS,
    Clock,
    MessageKind,
    PartnerRequest,
    RequestKind,
    RequestMessage,
    ReviewCadence,
    SlaPolicy,
)

SLUG_REGEX = r"[-a-zA-Z0-9_]+"


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "09:00",
    }
)
class ClockTimeField(serializers.TimeField):
    """A wall-clock time written HH:MM, as in sla_defaults files (HH:MM:SS is read too)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


@extend_schema_serializer(examples=examples.POLICY_EXAMPLES)
class SlaPolicySerializer(serializers.Serializer):
    """A policy in the same field names as `sla_defaults` files."""

    slug = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    policies = serializers.CharField(required=False, allow_blank=True, help_text="Markdown")
    first_response_hours = serializers.DecimalField(7, 2, required=False, allow_null=True)
    resolution_hours = serializers.DecimalField(7, 2, required=False, allow_null=True)
    lead_acceptance_hours = serializers.DecimalField(7, 2, required=False, allow_null=True)
    min_monthly_revenue = serializers.DecimalField(14, 2, required=False, allow_null=True)
    min_monthly_won_orders = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    min_monthly_calls = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    uptime_percent = serializers.DecimalField(6, 3, required=False, allow_null=True)
    time_zone = serializers.CharField(required=False, max_length=64)
    working_days = serializers.ListField(
        child=serializers.ChoiceField(choices=WEEKDAYS), required=False, allow_empty=False
    )
    working_hours_start = ClockTimeField(required=False)
    working_hours_end = ClockTimeField(required=False)
    holidays = serializers.ListField(child=serializers.DateField(), required=False)
    escalation_name = serializers.CharField(required=False, allow_blank=True)
    escalation_email = serializers.EmailField(required=False, allow_blank=True)
    review_cadence = serializers.ChoiceField(choices=ReviewCadence.choices, required=False)
    is_default = serializers.BooleanField(required=False)
    version = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(examples=examples.VERSION_EXAMPLES)
class SlaPolicyVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    changed_via = serializers.CharField(source="source", help_text="app, api or command")
    changed_fields = serializers.ListField(child=serializers.CharField())
    policy = serializers.DictField(source="data", help_text="every field of this version")


PROGRAMME_RULE = (
    "Reading is open to vendor staff and to API keys with the read scope. Creating a "
    "policy, changing it (a new version) and making it the default are the tenant "
    "administrator's: a signed-in administrator, or an API key with the write scope "
    "(only administrators issue keys). Channel managers get 403."
)


@extend_schema_view(
    list=extend_schema(description=PROGRAMME_RULE),
    create=extend_schema(description=PROGRAMME_RULE),
    update=extend_schema(description=PROGRAMME_RULE),
    partial_update=extend_schema(
        description=PROGRAMME_RULE, examples=examples.POLICY_PATCH_EXAMPLES
    ),
)
@extend_schema(request=SlaPolicySerializer, responses=SlaPolicySerializer)
class SlaPolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    permission_classes = [IsStaffOrScopedKey, ProgrammeWrites]
    serializer_class = SlaPolicySerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    ordering_fields = ["name", "slug", "updated_at"]
    search_fields = ["name", "slug"]
    filterset_fields = ["is_default"]

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        return selectors.sla_policy_list()

    def _save(self, request: Request, policy: SlaPolicy | None, partial: bool) -> SlaPolicy:
        data = SlaPolicySerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        saved, _changed = services.sla_policy_save(
            data=dict(data.validated_data), policy=policy, actor=acting_user(request), source="api"
        )
        return saved

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = self._save(request, None, partial=False)
        return Response(SlaPolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = self._save(request, self.get_object(), partial=kwargs.get("partial", False))
        return Response(SlaPolicySerializer(policy).data)

    @extend_schema(responses=SlaPolicyVersionSerializer(many=True), summary="Version history")
    @action(detail=True, methods=["get"], pagination_class=None)  # one plain list
    def versions(self, request: Request, slug: str) -> Response:
        versions = selectors.sla_policy_versions(policy=self.get_object())
        return Response(SlaPolicyVersionSerializer(versions, many=True).data)


PARTNER_TARGETS_RULE = (
    "Setting a partner's own targets is for its channel manager, a tenant "
    "administrator, or an API key with the write scope; another channel manager gets 403."
)


class EffectiveSlaView(APIView):
    """GET: the partner's effective SLA (its policy plus its own targets);
    PUT/PATCH {"overrides": {target: value or null}}: set its own targets."""

    def partner(self, request: Request, ref: str) -> Partner:
        try:
            return partner_get_for_user(user=request.user, ref=ref)
        except Partner.DoesNotExist as error:
            raise NotFound("There is no such partner.") from error

    def body(self, partner: Partner) -> dict[str, Any]:
        targets = selectors.effective_targets(partner)
        return {
            "partner": partner.ref,
            "policy": partner.sla.slug,
            "policy_version": partner.sla.version,
            "targets": {t.field: t.value for t in targets},
            "overrides": {t.field: t.value for t in targets if t.overridden},
            "calendar": {
                key: value
                for key, value in services.policy_data(partner.sla).items()
                if key
                in (
                    "time_zone",
                    "working_days",
                    "working_hours_start",
                    "working_hours_end",
                    "holidays",
                )
            },
        }

    @extend_schema(
        responses=inline_serializer("EffectiveSla", {"targets": serializers.DictField()}),
        examples=[examples.EFFECTIVE_SLA_EXAMPLE],
    )
    def get(self, request: Request, ref: str) -> Response:
        return Response(self.body(self.partner(request, ref)))

    @extend_schema(
        request=inline_serializer("SlaOverrides", {"overrides": serializers.DictField()}),
        responses=inline_serializer("EffectiveSlaAfter", {"targets": serializers.DictField()}),
        examples=examples.OVERRIDE_EXAMPLES,
        description=PARTNER_TARGETS_RULE,
    )
    def put(self, request: Request, ref: str) -> Response:
        partner = self.partner(request, ref)
        check_partner_targets(request, partner)
        overrides = request.data.get("overrides") if isinstance(request.data, dict) else None
        if not isinstance(overrides, dict):
            raise serializers.ValidationError(
                {
                    "overrides": [
                        f"Send an object of targets ({', '.join(TARGET_FIELDS)}) to values or null."
                    ]
                }
            )
        services.partner_sla_override_set(
            partner=partner, targets=overrides, actor=acting_user(request)
        )
        return Response(self.body(partner))

    patch = put


class ClockSerializer(serializers.Serializer):
    state = serializers.CharField()
    target_hours = serializers.DecimalField(7, 2, allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    used = serializers.DecimalField(8, 3, allow_null=True, help_text="fraction of the target used")
    business_seconds_left = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(examples=examples.PARTNER_REQUEST_EXAMPLES)
class PartnerRequestSerializer(serializers.ModelSerializer):
    partner: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    raised_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True
    )
    sla_version = serializers.IntegerField(
        source="sla_version.number", read_only=True, allow_null=True
    )
    clocks = serializers.SerializerMethodField()

    class Meta:
        model = PartnerRequest
        fields = [
            "id", "partner", "kind", "subject", "description", "raised_by", "opened_at",
            "first_response_at", "resolved_at", "sla_version", "clocks", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=ClockSerializer()))
    def get_clocks(self, request: PartnerRequest) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for clock in (Clock.FIRST_RESPONSE, Clock.RESOLUTION):
            reading = read_clock(request, clock)
            result[clock] = {
                "state": reading.state,
                "target_hours": getattr(request, f"{clock}_target_hours"),
                "due_at": reading.due_at,
                "used": reading.used,
                "business_seconds_left": int(reading.left.total_seconds())
                if reading.left is not None
                else None,
            }
        return result


@extend_schema_serializer(examples=examples.PARTNER_REQUEST_INPUT_EXAMPLES)
class PartnerRequestInputSerializer(serializers.Serializer):
    partner = serializers.CharField(help_text="partner ref")
    kind = serializers.ChoiceField(choices=RequestKind.choices, default=RequestKind.SUPPORT)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    opened_at = serializers.DateTimeField(required=False)


REPLY_RULE = (
    "`body` is the reply the partner reads (Markdown, shown sanitised): it is stored in "
    "the request's conversation (`GET .../messages/`), shown on the partner portal and "
    "mailed to the partner's portal users and contact e-mail. The first reply is the "
    "first response. `body` is optional so that clients from before replies keep "
    "working: without it only the clock stops, nothing is sent. A `body` that is blank "
    "or over 10,000 characters is refused (400, by field); a `body` for a resolved "
    "request answers 409."
)


class ReplyInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        required=False,
        allow_blank=True,  # refused by the service, with its message
        trim_whitespace=False,
        help_text="The reply the partner reads (Markdown); optional, see the description.",
    )


class RequestMessageSerializer(serializers.ModelSerializer):
    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True
    )
    side = serializers.SerializerMethodField(help_text="vendor or partner")
    first_response = serializers.SerializerMethodField(
        help_text="true for the reply that was the request's first response"
    )
    mailed_at = serializers.DateTimeField(source="notified_at", read_only=True, allow_null=True)

    class Meta:
        model = RequestMessage
        fields = [
            "id", "kind", "author", "side", "body", "created_at", "first_response",
            "mailed_at", "mailed_to",
        ]  # fmt: skip
        read_only_fields = fields

    def get_side(self, message: RequestMessage) -> str:
        return "vendor" if message.kind in STAFF_MESSAGE_KINDS else "partner"

    def get_first_response(self, message: RequestMessage) -> bool:
        return selectors.message_is_first_response(message=message, request=message.request)


class PartnerRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Partner requests; `respond` and `resolve` stop their clocks."""

    serializer_class = PartnerRequestSerializer
    filterset_fields = ["kind", "first_response_state", "resolution_state"]
    ordering_fields = ["opened_at", "first_response_due_at", "resolution_due_at"]
    search_fields = ["subject", "partner__ref", "partner__name"]

    def get_queryset(self) -> QuerySet[PartnerRequest]:
        return selectors.partner_request_list_for_user(user=self.request.user)

    @extend_schema(request=PartnerRequestInputSerializer, responses={201: PartnerRequestSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PartnerRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            partner = partner_get_for_user(user=request.user, ref=fields.pop("partner"))
        except Partner.DoesNotExist as error:
            raise serializers.ValidationError(
                {"partner": ["There is no partner with this ref."]}
            ) from error
        try:
            created = services.partner_request_open(
                partner=partner, raised_by=acting_user(request), **fields
            )
        except CalendarError as error:
            # The request is fine; the partner's policy (stored before its rules) is not.
            raise Conflict(str(error)) from error
        return Response(PartnerRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    def _reply(self, request: Request, kind: str) -> Response:
        partner_request = self.get_object()
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "body" not in data.validated_data:
            # A client from before replies: only the clock stops, as it always did.
            services.request_clock_stop(request=partner_request, kind=kind)
            return Response(PartnerRequestSerializer(partner_request).data)
        try:
            services.request_message_add(
                request=partner_request,
                author=acting_user(request),
                kind=kind,
                body=data.validated_data["body"],
            )
        except services.RequestClosedError as error:
            raise Conflict(str(error)) from error
        return Response(PartnerRequestSerializer(partner_request).data)

    @extend_schema(
        request=ReplyInputSerializer,
        examples=[*examples.REPLY_EXAMPLES, *examples.PARTNER_REQUEST_EXAMPLES],
        summary="Reply to the request (the first reply stops the first-response clock)",
        description=REPLY_RULE,
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str) -> Response:
        return self._reply(request, MessageKind.RESPONSE)

    @extend_schema(
        request=ReplyInputSerializer,
        examples=[*examples.RESOLVE_EXAMPLES, *examples.PARTNER_REQUEST_EXAMPLES],
        summary="Resolve the request with a reply (stops its clocks)",
        description=REPLY_RULE,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        return self._reply(request, MessageKind.RESOLUTION)

    @extend_schema(
        request=None,
        responses=RequestMessageSerializer(many=True),
        examples=examples.REQUEST_MESSAGES_EXAMPLES,
        summary="The request's conversation, oldest first",
        description="The vendor's replies (`response`, `resolution`) and the partner's "
        "answers from the portal (`note`), with when each was mailed and to whom.",
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # one conversation
    def messages(self, request: Request, pk: str) -> Response:
        partner_request = self.get_object()
        conversation = list(selectors.request_message_list(request=partner_request))
        for message in conversation:
            message.request = partner_request
        return Response(RequestMessageSerializer(conversation, many=True).data)
