"""Browser pages of SLA policies, compliance, partner requests and notifications, under
/slas/. Policies live under policies/ so that no slug can hide another page."""

from django.urls import path

from . import views

app_name = "slas"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("settings/", views.sla_settings, name="settings"),
    path("compliance/", views.compliance, name="compliance"),
    path("policies/new/", views.policy_new, name="policy_new"),
    path("policies/<slug:policy>/", views.policy_detail, name="policy_detail"),
    path("policies/<slug:policy>/edit/", views.policy_edit, name="policy_edit"),
    path(
        "policies/<slug:policy>/versions/<int:number>/",
        views.policy_version,
        name="policy_version",
    ),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/respond/", views.request_respond, name="request_respond"),
    path("requests/<int:request_id>/resolve/", views.request_resolve, name="request_resolve"),
    path("partners/<slug:ref>/targets/", views.partner_override, name="override"),
    path("notifications/", views.notification_list, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
    ),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
]
