"""URLs of a tenant host (<slug>.<base domain>)."""

from django.urls import include, path

from prm.web.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("console.urls")),
    path("", include("prm.web.urls")),
    path("accounts/", include("prm.accounts.urls")),
    path("partners/import/", include("partners.urls_import")),
    path("partners/", include("partners.urls")),
    path("", include("reporting.urls")),
    path("slas/", include("slas.urls")),
    path("portal/", include("portal.urls")),
    path("", include("prm.api.urls")),
]

handler400 = "prm.api.handlers.bad_request"
handler403 = "prm.api.handlers.permission_denied"
handler404 = "prm.api.handlers.page_not_found"
handler500 = "prm.api.handlers.server_error"
