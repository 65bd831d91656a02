"""Browser pages of reporting: the activity pages under /activity/ (the dashboard is the
console's)."""

from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("activity/export/", views.activity_export, name="activity_export"),
    path("activity/calls/new/", views.call_new, name="call_new"),
    path("activity/contacts/new/", views.contact_new, name="contact_new"),
]
