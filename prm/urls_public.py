"""URLs of the public host (the base domain itself): landing page and platform admin."""

from django.contrib import admin
from django.urls import path

from prm.web import views as web_views
from prm.web.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", web_views.landing, name="landing"),
    path("admin/", admin.site.urls),
]

handler400 = "prm.api.handlers.bad_request"
handler403 = "prm.api.handlers.permission_denied"
handler404 = "prm.api.handlers.page_not_found"
handler500 = "prm.api.handlers.server_error"
