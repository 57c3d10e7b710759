"""How django-allauth fits Hutor: no signup, Hutor's wording, and email through the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hutor.accounts.models import BillingAccount
from hutor.notifications.actions import enqueue
from hutor.panel import emails


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _(
            "The email or the password is wrong. Please check both and try again."
        ),
        "too_many_login_attempts": _(
            "Too many failed attempts to log in with this email. Please wait a few minutes and "
            "try again, or reset your password."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """A billing account, and with it its login, is opened only by ordering a service."""
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Queue allauth's email in Hutor's outbox (retried, visible to staff) instead of
        sending it inside the request, rendered now in the visitor's language. The outbox keeps
        what is rendered here, so this suits only emails without a one-time secret (the notices
        of a changed password or second factor); one with a secret needs its own template that
        makes the secret at delivery, as send_password_reset_mail does."""
        message = self.render_mail(
            template_prefix, email, {"email": email, **self._mail_context(), **context}
        )
        text = str(message.body)
        html = ""
        if isinstance(message, EmailMultiAlternatives):
            html = next((str(c) for c, mime in message.alternatives if mime == "text/html"), "")
        enqueue(
            key=f"auth:{template_prefix}:{uuid.uuid4()}",
            template=emails.PRERENDERED,
            to_email=email,
            billing_account=_billing_account(email),
            language=_language(),
            params={
                "subject": str(message.subject),
                "text": text,
                "html": html or emails.html_from_text(text),
            },
        )

    def send_password_reset_mail(
        self, user: AbstractBaseUser, email: str, context: dict[str, Any]
    ) -> None:
        """The reset link is made by the worker when it delivers the email, so a one-time token
        is never stored in the outbox (see hutor.panel.emails.password_reset)."""
        enqueue(
            key=f"auth:password_reset:{uuid.uuid4()}",
            template=emails.PASSWORD_RESET,
            to_email=email,
            billing_account=_billing_account(email),
            language=_language(),
            params={"user_id": user.pk},
        )

    def _mail_context(self) -> dict[str, Any]:
        return {"site_name": "Hutor", "site_url": settings.HUTOR_BASE_URL}


def forget_failed_logins(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """allauth's password_reset receiver: whoever just proved they own the mailbox may log in
    at once, not wait out the throttle that the failed attempts before the reset set off.
    (allauth does this itself only for addresses in its EmailAddress table, which Hutor does not
    fill.)"""
    email = getattr(user, "email", "")
    if email:
        get_adapter(request)._delete_login_attempts_cached_email(request, email=email)


def _billing_account(email: str) -> BillingAccount | None:
    """The account whose login this is, so the email shows in its history."""
    return BillingAccount.objects.filter(user__email__iexact=email).first()


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]
