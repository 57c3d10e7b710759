"""The transactional outbox of customer emails.

An email is a row written in the same transaction as the account or invoice it announces, so
it exists exactly when they do. The worker renders and delivers it later, with retries; its
unique `key` keeps the same announcement from being queued twice, and its `Message-ID` is
derived from the row, so a resend after a crash between SMTP and commit is recognisable.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hutor.core.queue import QueueJob


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for the worker (also between retries)
    SENT = "sent", _("Sent")  # accepted by the mail server
    FAILED = "failed", _("Failed")  # gave up after the last retry; staff can resend


class OutboxEmail(QueueJob):
    """One email: a job of the outbox queue (notifications.actions.OUTBOX)."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    template = models.CharField(_("template"), max_length=64)
    to_email = models.EmailField(pgettext_lazy("email", "to"))
    language = models.CharField(_("language"), max_length=8, default="ru")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    # attempts, next_attempt_at, last_error: the queue's (core.queue.QueueJob)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_email}"

    @property
    def message_id(self) -> str:
        return f"<hutor-outbox-{self.pk}@hutor>"
