"""The tenant URLs plus one URL whose parameter the walk has no sample for."""

from django.http import HttpRequest, HttpResponseForbidden
from django.urls import include, path


def widget(request: HttpRequest, widget_id: int) -> HttpResponseForbidden:
    return HttpResponseForbidden()


urlpatterns = [
    path("", include("prm.urls")),
    path("widgets/<int:widget_id>/", widget, name="widget"),
]
