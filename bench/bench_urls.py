"""The tenant URLs of the product plus one endpoint that exists only in the bench:
the textbook DRF bulk create that bench/ingest.py compares the product's ingestion
with. It is served only by the bench's own server (bench_settings.ROOT_URLCONF).

POST /bench/orders-serializer/ takes a JSON array of the same order objects as
/api/v1/activity/orders/ and stores them with ``OrderSerializer(many=True)`` and
``bulk_create``: a ``ModelSerializer`` of ``reporting.Order`` (partner and product
by ref and SKU through ``SlugRelatedField``; the ``UniqueValidator`` on external_id
that ModelSerializer derives from the model), a ``ListSerializer`` whose ``create``
is one ``bulk_create``, DRF's ``JSONParser``, the same authentication and
permissions as the product API. It only inserts (no upsert, no outbox), so it does
less than the product path.
"""

from typing import Any

from django.db import transaction
from django.urls import include, path
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partners.models import Partner, Product
from prm import urls as product_urls
from reporting.models import Order


class OrderListSerializer(serializers.ListSerializer):
    def create(self, validated_data: list[dict[str, Any]]) -> list[Order]:
        return Order.objects.bulk_create(
            [Order(**item) for item in validated_data], batch_size=5000
        )


class OrderSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="ref", queryset=Partner.objects.all())
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Order
        fields = [
            "external_id",
            "partner",
            "product",
            "status",
            "amount",
            "cost",
            "quantity",
            "channel",
            "new_account",
            "ordered_at",
            "closed_at",
        ]
        list_serializer_class = OrderListSerializer


class OrderSerializerBulkView(APIView):
    parser_classes = [JSONParser]

    def post(self, request: Request) -> Response:
        serializer = OrderSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            created = serializer.save()
        return Response({"received": len(request.data), "created": len(created)})


urlpatterns = [
    path("bench/orders-serializer/", OrderSerializerBulkView.as_view()),
    path("", include("prm.urls")),
]

# The product's JSON error pages, which Django takes from the root URLconf only.
handler400 = product_urls.handler400
handler403 = product_urls.handler403
handler404 = product_urls.handler404
handler500 = product_urls.handler500
