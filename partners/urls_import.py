"""The import flow, under /partners/import/ (mounted before the partner pages so that
"import" is never read as a partner ref)."""

from django.urls import path

from .views import imports

app_name = "partner_import"

urlpatterns = [
    path("", imports.import_start, name="start"),
    path("template.csv", imports.import_template, name="template"),
    path("<uuid:job_id>/", imports.import_job_detail, name="job"),
    path("<uuid:job_id>/status/", imports.import_job_status, name="status"),
    path("<uuid:job_id>/mapping/", imports.import_job_mapping, name="mapping"),
    path("<uuid:job_id>/run/", imports.import_job_run, name="run"),
    path("<uuid:job_id>/errors.csv", imports.import_job_errors, name="errors"),
]
