"""The activation email (S2): the account number, the login and a one-time link to set the
password. The link is made when the email is rendered for delivery, so no token is stored."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
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


_email_signer = signing.TimestampSigner(salt="hutor.accounts.email-change")
EMAIL_CHANGE_MAX_AGE = 3 * 24 * 3600


def email_change_token(account: BillingAccount, new_email: str) -> str:
    # Bound to the current address: once the change is made, the link no longer works.
    return _email_signer.sign_object(
        {"a": account.pk, "new": new_email, "old": account.contact_email}
    )


def read_email_change_token(token: str) -> tuple[int, str, str] | None:
    try:
        data = _email_signer.unsign_object(token, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        return None
    return int(data["a"]), str(data["new"]), str(data["old"])


@register("email_change")
def email_change(email: OutboxEmail) -> RenderedEmail:
    account = BillingAccount.objects.get(pk=email.params["account_id"])
    new_email = email.params["new_email"]
    token = email_change_token(account, new_email)
    context = {
        "account": account,
        "new_email": new_email,
        "confirm_url": settings.HUTOR_BASE_URL
        + reverse("panel:profile_email_confirm", args=[token]),
    }
    return RenderedEmail(
        subject=_("Confirm the new contact email of billing account %(number)s")
        % {"number": account.number},
        text=render_to_string("accounts/email/email_change.txt", context),
        html=render_to_string("accounts/email/email_change.html", context),
    )
