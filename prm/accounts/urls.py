from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from prm.web.access import login_required, public_view

from .forms import LoginForm
from .password_reset import TenantPasswordResetView
from .views import InvitationAcceptView

app_name = "accounts"

urlpatterns = [
    path(
        "invitation/<uidb64>/<token>/",
        public_view(InvitationAcceptView.as_view()),
        name="invitation_accept",
    ),
    path(
        "login/",
        public_view(
            auth_views.LoginView.as_view(
                template_name="accounts/login.html",
                authentication_form=LoginForm,
                redirect_authenticated_user=True,
            )
        ),
        name="login",
    ),
    path("logout/", public_view(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "password/change/",
        login_required(
            auth_views.PasswordChangeView.as_view(
                template_name="accounts/password_change.html",
                success_url=reverse_lazy("accounts:password_change_done"),
            )
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        login_required(
            auth_views.PasswordChangeDoneView.as_view(
                template_name="accounts/password_change_done.html"
            )
        ),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        public_view(
            TenantPasswordResetView.as_view(
                template_name="accounts/password_reset.html",
                email_template_name="accounts/email/password_reset.txt",
                subject_template_name="accounts/email/password_reset_subject.txt",
                success_url=reverse_lazy("accounts:password_reset_done"),
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        public_view(
            auth_views.PasswordResetDoneView.as_view(
                template_name="accounts/password_reset_done.html"
            )
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        public_view(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="accounts/password_reset_confirm.html",
                success_url=reverse_lazy("accounts:password_reset_complete"),
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        public_view(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="accounts/password_reset_complete.html"
            )
        ),
        name="password_reset_complete",
    ),
]
