"""Activity ingestion and metrics API.

POST /api/v1/activity/{orders,calls,contacts,inventory}/ reads its body as a stream
(JSON object or array, NDJSON, or CSV) and never holds it whole, within the bounds of
reporting.bodies (body, row and value size, nesting depth); DRF's parsers, which read
the whole body, are bypassed on purpose.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.dateparse import parse_date
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partners.filters import PartnerFilter
from partners.models import Partner
from partners.selectors import partner_get_for_user, partner_list_for_user
from prm.api.errors import error_body
from prm.api.pagination import ActivityCursorPagination

from . import api_examples as examples
from . import metrics
from .bodies import BodyNotParsable, BodyTooLarge, BoundedStream, csv_rows, json_rows
from .ingest import RowsUnreadable
from .kinds import KINDS
from .rollups import COMPONENTS
from .selectors import activity_list
from .services import activity_ingest

MAX_PERIOD_DAYS = 3700


def _body_source(request: Request) -> Any:
    """Where to read the body from. Django reads no further than Content-Length, so a
    chunked body (which has none) would look empty; when the server says its input
    stream ends where the body ends (`wsgi.input_terminated`, as gunicorn does), that
    stream is read instead, still bounded by the size limit."""
    meta = request._request.META
    if not meta.get("CONTENT_LENGTH") and meta.get("wsgi.input_terminated"):
        return meta["wsgi.input"]
    return request._request


ROWS_BY_TYPE = {
    "application/json": json_rows,
    "application/x-ndjson": json_rows,
    "application/jsonlines": json_rows,
    "text/csv": csv_rows,
}


class IngestView(mixins.ListModelMixin, GenericAPIView):
    """GET lists the kind's rows (cursor pagination, newest first; filter by partner
    ref); POST ingests rows."""

    parser_classes: list[Any] = []  # the body is streamed by the view itself
    pagination_class = ActivityCursorPagination
    filter_backends: list[Any] = []
    kind = ""

    def get_serializer_class(self) -> type[serializers.ModelSerializer[Any]]:
        return KINDS[self.kind].serializer

    def get_queryset(self) -> QuerySet[Any]:
        return activity_list(
            user=self.request.user,
            kind=self.kind,
            partner_ref=self.request.query_params.get("partner") or "",
        )

    @extend_schema(
        summary="List activity rows, newest first",
        parameters=[OpenApiParameter("partner", str, description="partner ref")],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        summary="Ingest activity rows (upsert by external_id)",
        parameters=[OpenApiParameter("atomic", OpenApiTypes.BOOL, description="all rows or none")],
        request={
            "application/json": {
                "oneOf": [
                    {"type": "object", "description": "one row"},
                    {"type": "array", "items": {"type": "object"}, "description": "rows"},
                ]
            },
            "application/x-ndjson": OpenApiTypes.STR,
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            200: inline_serializer(
                "IngestResult",
                {
                    "received": serializers.IntegerField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "errors": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        reader = ROWS_BY_TYPE.get(content_type)
        if reader is None:
            return Response(
                error_body(
                    415,
                    "unsupported_media_type",
                    "Send application/json, application/x-ndjson or text/csv, "
                    f"not “{content_type or 'nothing'}”.",
                ),
                status=415,
            )
        limit = int(settings.PRM_INGEST_MAX_BYTES)
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limit:
            return self._too_large(limit)
        atomic = str(request.query_params.get("atomic", "")).lower() in ("1", "true", "yes")
        raw = BoundedStream(_body_source(request), limit)
        stream = io.BufferedReader(raw, buffer_size=256 * 1024)
        try:
            result = activity_ingest(kind=self.kind, rows=reader(stream), atomic=atomic)
        except RowsUnreadable as failure:
            return self._unreadable(failure)
        body = result.as_dict()
        stored = result.created + result.updated + result.unchanged
        if result.error_count and (atomic or not stored):
            message = "Nothing was stored: " + (
                "with atomic=true every row must be valid." if atomic else "no row was valid."
            )
            return Response({**error_body(400, "invalid", message), **body}, status=400)
        return Response(body, status=status.HTTP_200_OK)

    def _unreadable(self, failure: RowsUnreadable) -> Response:
        """400 or 413 for a body that broke off; without atomic=true the batches read
        before the break are stored, and the answer says how many."""
        if isinstance(failure.cause, BodyTooLarge):
            code, status_code, message = "too_large", 413, str(failure.cause)
        elif isinstance(failure.cause, BodyNotParsable):
            code, status_code, message = "parse_error", 400, str(failure.cause)
        else:
            raise failure.cause
        result = failure.result
        stored = result.created + result.updated + result.unchanged
        if stored:
            message += (
                f" The first {result.received} rows were read and {stored} of them "
                "stored (send atomic=true for all or nothing); the rest was not."
            )
        else:
            message += " Nothing was stored."
        return Response(
            {**error_body(status_code, code, message), **result.as_dict()}, status=status_code
        )

    def _too_large(self, limit: int) -> Response:
        return Response(
            error_body(
                413, "too_large", f"The body is larger than {limit} bytes; send it in parts."
            ),
            status=413,
        )


def ingest_view(kind: str) -> Any:
    assert kind in KINDS
    view_class: type[IngestView] = type(f"Ingest{kind.title()}View", (IngestView,), {"kind": kind})
    # Each kind documents its own rows; the rest of the POST's schema is IngestView's.
    extend_schema_view(post=extend_schema(examples=examples.ingest_examples(kind)))(view_class)
    return view_class.as_view()


# --- metrics ---------------------------------------------------------------------------------


def _period(request: Request) -> metrics.Period:
    errors: dict[str, list[str]] = {}
    values: dict[str, date] = {}
    for name in ("from", "to"):
        raw = request.query_params.get(name, "")
        try:
            parsed = parse_date(raw) if raw else None
        except ValueError:  # well formed but no such day, like 2026-02-30
            parsed = None
        if parsed is None:
            errors[name] = [f"Give {name}=YYYY-MM-DD" + (f", not “{raw}”." if raw else ".")]
        else:
            values[name] = parsed
    if not errors and values["to"] < values["from"]:
        errors["to"] = ["to is before from."]
    if not errors and (values["to"] - values["from"]).days >= MAX_PERIOD_DAYS:
        errors["to"] = [f"A period spans at most {MAX_PERIOD_DAYS} days."]
    if errors:
        raise ValidationError(errors)
    return metrics.Period(values["from"], values["to"])


PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="first day, inclusive"),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="last day, inclusive"),
]


def _money(**options: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=22, decimal_places=2, **options)


def _components() -> dict[str, serializers.Field]:
    """The summed rollup components of DESIGN.md, as the metrics answers carry them."""
    fields: dict[str, serializers.Field] = {
        name: _money() if name in metrics.MONEY else serializers.IntegerField()
        for name in COMPONENTS
    }
    fields["first_order_at"] = serializers.DateTimeField(
        allow_null=True, help_text="closed_at of the first won order in the period"
    )
    fields["last_order_at"] = serializers.DateTimeField(
        allow_null=True, help_text="closed_at of the last won order in the period"
    )
    return fields


def _derived() -> dict[str, serializers.Field]:
    """The derived metrics; null where the formula would divide by zero."""
    return {
        "avg_order_value": _money(allow_null=True, help_text="revenue / orders_won"),
        "cost_per_sale": _money(allow_null=True, help_text="cost / orders_won"),
        "avg_item_price": _money(allow_null=True, help_text="revenue / items_sold"),
        "win_rate": serializers.DecimalField(
            max_digits=6,
            decimal_places=4,
            allow_null=True,
            help_text="orders_won / (orders_won + orders_lost)",
        ),
        "avg_days_between_orders": _money(
            allow_null=True,
            help_text="(last_order_at - first_order_at) in days / (orders_won - 1)",
        ),
        "margin": _money(help_text="revenue - cost"),
    }


def _partner_metrics_rows() -> serializers.Serializer:
    return inline_serializer(
        "PartnerMetrics",
        {
            "partner": serializers.CharField(help_text="partner ref"),
            "name": serializers.CharField(),
            **_components(),
            "inventory_listed": serializers.IntegerField(
                allow_null=True, help_text="the last snapshot in the period"
            ),
            **_derived(),
        },
        many=True,
    )


PERIOD_FIELDS: dict[str, serializers.Field] = {
    "from": serializers.DateField(),
    "to": serializers.DateField(),
}


class PartnerMetricsView(APIView):
    """One row per partner with every component and metric; the registry's filters apply."""

    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses=inline_serializer(
            "PartnerMetricsList",
            {
                **PERIOD_FIELDS,
                "count": serializers.IntegerField(),
                "results": _partner_metrics_rows(),
            },
        ),
        examples=[examples.PARTNER_METRICS],
    )
    def get(self, request: Request) -> Response:
        period = _period(request)
        partners = PartnerFilter(request.query_params, partner_list_for_user(user=request.user)).qs
        rows = metrics.partner_metrics(partners=partners, period=period)
        return Response(
            {"from": period.start, "to": period.end, "count": len(rows), "results": rows}
        )


class PartnerSeriesView(APIView):
    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("interval", str, enum=["day", "week", "month"]),
        ],
        responses=inline_serializer(
            "PartnerSeries",
            {
                "partner": serializers.CharField(help_text="partner ref"),
                "interval": serializers.ChoiceField(["day", "week", "month"]),
                **PERIOD_FIELDS,
                "series": inline_serializer(
                    "PartnerSeriesBucket",
                    {
                        "start": serializers.DateField(help_text="first day of the bucket"),
                        **_components(),
                        **_derived(),
                    },
                    many=True,
                ),
            },
        ),
        examples=[examples.PARTNER_SERIES],
    )
    def get(self, request: Request, ref: str) -> Response:
        try:
            partner = partner_get_for_user(user=request.user, ref=ref)
        except Partner.DoesNotExist as error:
            raise NotFound("There is no such partner.") from error
        period = _period(request)
        interval = request.query_params.get("interval", "day")
        if interval not in ("day", "week", "month"):
            raise ValidationError({"interval": ["Use day, week or month."]})
        if interval == "day" and period.days > 1000:
            raise ValidationError({"interval": ["Use week or month for periods over 1000 days."]})
        series = metrics.partner_series(partner=partner, period=period, interval=interval)
        return Response(
            {
                "partner": partner.ref,
                "interval": interval,
                "from": period.start,
                "to": period.end,
                "series": series,
            }
        )


class SummaryView(APIView):
    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses=inline_serializer(
            "MetricsSummary",
            {
                **PERIOD_FIELDS,
                "partners": serializers.IntegerField(help_text="partners not terminated"),
                "partners_sold": serializers.IntegerField(help_text="partners with orders_won > 0"),
                "affiliates_converted": serializers.IntegerField(
                    help_text="partners whose status became affiliate in the period"
                ),
                "contacts_per_partner": _money(
                    allow_null=True, help_text="contacts_generated / partners"
                ),
                **_components(),
                **_derived(),
            },
        ),
        examples=[examples.SUMMARY],
    )
    def get(self, request: Request) -> Response:
        period = _period(request)
        partners = PartnerFilter(request.query_params, partner_list_for_user(user=request.user)).qs
        summary = metrics.totals(partners=partners, period=period)
        del summary["inventory_listed"]  # not in the summary the API documents
        return Response(summary)


class StatusView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "MetricsStatus",
            {
                "pending": serializers.IntegerField(),
                "as_of": serializers.DateTimeField(allow_null=True),
            },
        ),
        summary="How fresh the metrics are: pending is 0 once every accepted row is in them",
        examples=examples.STATUS_EXAMPLES,
    )
    def get(self, request: Request) -> Response:
        return Response(metrics.freshness())
