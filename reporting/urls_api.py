from django.urls import path

from .api import PartnerMetricsView, PartnerSeriesView, StatusView, SummaryView, ingest_view
from .kinds import KINDS

urlpatterns = [
    *[path(f"activity/{kind}/", ingest_view(kind), name=f"activity-{kind}") for kind in KINDS],
    path("metrics/partners/", PartnerMetricsView.as_view(), name="metrics-partners"),
    path(
        "metrics/partners/<slug:ref>/series/",
        PartnerSeriesView.as_view(),
        name="metrics-partner-series",
    ),
    path("metrics/summary/", SummaryView.as_view(), name="metrics-summary"),
    path("metrics/status/", StatusView.as_view(), name="metrics-status"),
]
