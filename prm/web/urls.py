from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("settings/", views.settings_home, name="settings"),
    path("settings/users/new/", views.user_new, name="user_new"),
    path("settings/api-keys/new/", views.api_key_new, name="api_key_new"),
    path("settings/api-keys/<int:api_key_id>/", views.api_key_edit, name="api_key_edit"),
    path("settings/api-keys/<int:api_key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("settings/webhooks/new/", views.webhook_new, name="webhook_new"),
    path("settings/webhooks/<int:subscription_id>/", views.webhook_detail, name="webhook_detail"),
    path(
        "settings/webhooks/<int:subscription_id>/toggle/",
        views.webhook_toggle,
        name="webhook_toggle",
    ),
    path(
        "settings/webhooks/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
