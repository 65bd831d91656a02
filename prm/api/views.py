"""Account endpoints of the API: who am I, and API key management for admins."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from prm.accounts.models import ApiKey, Scope, User
from prm.accounts.selectors import api_key_list
from prm.accounts.services import UNCHANGED, api_key_create, api_key_revoke, api_key_update

from . import examples
from .permissions import IsTenantAdmin


class MeView(APIView):
    class OutputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        role = serializers.CharField()
        api_key = serializers.CharField(allow_null=True)
        scopes = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        responses=OutputSerializer,
        summary="The caller: user or API key",
        examples=examples.ME_EXAMPLES,
    )
    def get(self, request: Request) -> Response:
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        assert isinstance(request.user, User)  # the default permission admits no one else
        return Response(
            self.OutputSerializer(
                {
                    "email": request.user.email,
                    "role": request.user.role,
                    "api_key": api_key.name if api_key else None,
                    "scopes": api_key.scopes if api_key else ["read", "write"],
                }
            ).data
        )


@extend_schema_serializer(examples=examples.API_KEY_EXAMPLES)
class ApiKeySerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True
    )
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "rate_limit",
            "is_active",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(examples=examples.API_KEY_UPDATE_EXAMPLES)
class ApiKeyUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    rate_limit = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Requests a minute for this key; null (or absent on creation): the "
        "tenant's default.",
    )


@extend_schema_serializer(examples=examples.API_KEY_CREATE_EXAMPLES)
class ApiKeyCreateSerializer(ApiKeyUpdateSerializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False
    )


@extend_schema_serializer(examples=examples.API_KEY_CREATED_EXAMPLES)
class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Tenant administrators list, create, rename, limit and revoke the tenant's API
    keys."""

    permission_classes = [IsTenantAdmin]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = ApiKeySerializer
    filterset_fields = ["revoked_at"]
    ordering_fields = ["created_at", "last_used_at", "name"]
    search_fields = ["name", "prefix"]

    def get_queryset(self) -> QuerySet[ApiKey]:
        return api_key_list()

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request: Request) -> Response:
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, key = api_key_create(
            name=data.validated_data["name"],
            scopes=data.validated_data["scopes"],
            created_by=request.user,  # type: ignore[arg-type]
            rate_limit=data.validated_data.get("rate_limit"),
        )
        body = ApiKeySerializer(api_key).data
        body["key"] = key
        return Response(body, status=201)

    @extend_schema(
        request=ApiKeyUpdateSerializer,
        responses=ApiKeySerializer,
        summary="Rename an API key or set its rate limit",
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        data = ApiKeyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key = api_key_update(
            api_key=self.get_object(),
            name=data.validated_data.get("name"),
            rate_limit=data.validated_data.get("rate_limit", UNCHANGED),
        )
        return Response(ApiKeySerializer(api_key).data)

    @extend_schema(summary="Revoke an API key (it stops working at once)")
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        api_key_revoke(api_key=self.get_object(), revoked_by=request.user)  # type: ignore[arg-type]
        return Response(status=204)
