"""Browser pages of the registry, under /partners/."""

from django.urls import URLPattern

app_name = "partners"

urlpatterns: list[URLPattern] = []
