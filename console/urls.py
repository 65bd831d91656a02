"""The console's pages: the home page and dashboard at `/`, the dashboard's live
fragment and its CSV downloads under /dashboard/."""

from django.urls import path

from . import organisation, people, views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/live/", views.dashboard_live, name="dashboard_live"),
    path("dashboard/export/<slug:table>.csv", views.dashboard_export, name="dashboard_export"),
    path("settings/organisation/", organisation.organisation, name="organisation"),
    path("settings/people/", people.people_list, name="people"),
    path("settings/people/invite/", people.person_invite_page, name="person_invite"),
    path("settings/people/<int:user_id>/", people.person_edit, name="person_edit"),
    path(
        "settings/people/<int:user_id>/deactivate/",
        people.person_deactivate,
        name="person_deactivate",
    ),
    path(
        "settings/people/<int:user_id>/reactivate/",
        people.person_reactivate,
        name="person_reactivate",
    ),
    path(
        "settings/people/<int:user_id>/invitation/",
        people.person_invitation_resend,
        name="person_invitation_resend",
    ),
    path(
        "settings/people/<int:user_id>/password-reset/",
        people.person_password_reset,
        name="person_password_reset",
    ),
]
