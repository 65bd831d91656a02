"""Browser pages of reporting: the activity pages under /activity/, and the dashboard's
live fragment and CSV downloads under /dashboard/ (the dashboard itself is `/`,
web:home)."""

from django.urls import path

from . import dashboard_views, views

app_name = "reporting"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("activity/export/", dashboard_views.activity_export, name="activity_export"),
    path("activity/calls/new/", views.call_new, name="call_new"),
    path("activity/contacts/new/", views.contact_new, name="contact_new"),
    path("dashboard/live/", dashboard_views.dashboard_live, name="dashboard_live"),
    path(
        "dashboard/export/<slug:table>.csv",
        dashboard_views.dashboard_export,
        name="dashboard_export",
    ),
]
