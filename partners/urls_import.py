"""The import flow, under /partners/import/ (mounted before the partner pages so that
"import" is never read as a partner ref)."""

from django.urls import path

from . import views_import

app_name = "partner_import"

urlpatterns = [
    path("", views_import.import_start, name="start"),
    path("template.csv", views_import.import_template, name="template"),
    path("<uuid:job_id>/", views_import.import_job_detail, name="job"),
    path("<uuid:job_id>/status/", views_import.import_job_status, name="status"),
    path("<uuid:job_id>/run/", views_import.import_job_run, name="run"),
    path("<uuid:job_id>/errors.csv", views_import.import_job_errors, name="errors"),
]
