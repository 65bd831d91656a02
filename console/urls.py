"""The console's pages: the home page and dashboard at `/`, the dashboard's live
fragment and its CSV downloads under /dashboard/."""

from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/live/", views.dashboard_live, name="dashboard_live"),
    path("dashboard/export/<slug:table>.csv", views.dashboard_export, name="dashboard_export"),
]
