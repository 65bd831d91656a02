"""The import flow, under /partners/import/ (mounted before the partner pages so that
"import" is never read as a partner ref)."""

from django.urls import URLPattern

app_name = "partner_import"

urlpatterns: list[URLPattern] = []
