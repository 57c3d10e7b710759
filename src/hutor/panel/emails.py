"""Emails of customer authentication, delivered through the outbox (hutor.notifications).

Registered by PanelConfig.ready(); queued by hutor.panel.adapters.AccountAdapter.
"""

from __future__ import annotations

from allauth.account import app_settings as account_settings
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import linebreaks, urlize
from django.utils.translation import gettext as _

from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import RenderedEmail, register

# An email rendered when it was queued: params hold its subject, text and HTML. For messages
# without one-time secrets only (the outbox keeps params as long as it keeps the row).
PRERENDERED = "prerendered"
# "Reset your password": params hold only the user's id; the link is made at delivery.
PASSWORD_RESET = "password_reset"


@register(PRERENDERED)
def prerendered(email: OutboxEmail) -> RenderedEmail:
    params = email.params
    return RenderedEmail(subject=params["subject"], text=params["text"], html=params["html"])


def html_from_text(text: str) -> str:
    """The HTML part of an email that has only a text template."""
    return render_to_string(
        "panel/email/text_message.html", {"body": linebreaks(urlize(text, autoescape=True))}
    )


def password_reset_url(user: AbstractBaseUser) -> str:
    """A fresh link to set a new password: it works once (the token depends on the password)
    and expires after settings.PASSWORD_RESET_TIMEOUT."""
    token = account_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": token},
    )
    return settings.HUTOR_BASE_URL + path


@register(PASSWORD_RESET)
def password_reset(email: OutboxEmail) -> RenderedEmail:
    user = get_user_model().objects.get(pk=email.params["user_id"])
    context = {
        "user": user,
        "email": email.to_email,
        "password_reset_url": password_reset_url(user),
        "login_url": settings.HUTOR_BASE_URL + reverse("panel:login"),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    return RenderedEmail(
        subject=_("Resetting the password of your billing panel"),
        text=render_to_string("account/email/password_reset_key_message.txt", context),
        html=render_to_string("account/email/password_reset_key_message.html", context),
    )
