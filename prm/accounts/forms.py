from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .models import Role


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an account on this site.",
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.role == Role.INTEGRATOR:
            raise forms.ValidationError("API keys cannot sign in to the browser.", code="inactive")
