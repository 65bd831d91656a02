"""The partner portal, mounted at /portal/. No URL here names a partner: the partner is
always the signed-in user's own."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/edit/", views.profile_edit, name="profile_edit"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("sla/", views.sla, name="sla"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("orders/", views.orders, name="orders"),
    path("orders/export/", views.orders_export, name="orders_export"),
    path("calls/", views.calls, name="calls"),
    path("calls/new/", views.call_new, name="call_new"),
    path("calls/export/", views.calls_export, name="calls_export"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/new/", views.contact_new, name="contact_new"),
    path("contacts/export/", views.contacts_export, name="contacts_export"),
]
