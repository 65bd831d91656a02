from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.activity, name="activity"),
    path("calls/new/", views.call_new, name="call_new"),
    path("contacts/new/", views.contact_new, name="contact_new"),
]
