"""The activation email (S2): the account number, the login and a one-time link to set the
password. The link is made when the email is rendered for delivery, so no token is stored."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from hutor.accounts.models import BillingAccount
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import RenderedEmail, register


def set_password_url(account: BillingAccount) -> str:
    """Single use (the token stops working once the password changes) and expiring
    (settings.PASSWORD_RESET_TIMEOUT)."""
    user = account.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("panel:activate", args=[uid, default_token_generator.make_token(user)])
    return settings.HUTOR_BASE_URL + path


@register("account_opened")
def account_opened(email: OutboxEmail) -> RenderedEmail:
    account = BillingAccount.objects.select_related("user").get(pk=email.params["account_id"])
    context = {
        "account": account,
        "login": account.user.email,
        "panel_url": settings.HUTOR_BASE_URL + reverse("panel:home"),
        "set_password_url": set_password_url(account),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    return RenderedEmail(
        # In Russian exactly «Вам открыт биллинг-аккаунт», the subject the article quotes (S2).
        subject=_("Your billing account has been opened"),
        text=render_to_string("accounts/email/account_opened.txt", context),
        html=render_to_string("accounts/email/account_opened.html", context),
    )
