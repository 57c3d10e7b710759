from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form with the email as the username: logins are stored in lower case,
    so what a person types is lower-cased before the lookup."""

    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The email or the password is wrong. Please check both and try again."),
    }

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()
