"""The panel's one table: one-time tokens of the forms that move money (and of the new-ticket
form, so a double click opens one ticket).

A money form (renewal, tariff change, paying an invoice from the balance, top-up, cancelling an
order) carries a one-time token; the first POST claims it by inserting a FormSubmission in the
same transaction as the action, so the unique constraint on the token — not an `if` before the
insert — makes a double click or a resubmitted form act once. A rolled-back action rolls the
claim back with it and frees the token.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FormAction(models.TextChoices):
    """What a claimed form did; the code picks how a repeated POST shows the first result."""

    RENEW = "renew", _("renewal")
    CHANGE_TARIFF = "change_tariff", _("tariff change")
    CANCEL_ORDER = "cancel_order", _("order cancellation")
    PAY_INVOICE = "pay_invoice", _("payment of an invoice from the balance")
    TOP_UP = "top_up", _("top-up")
    OPEN_TICKET = "open_ticket", _("new support ticket")


class FormSubmission(models.Model):
    token = models.UUIDField(_("token"), unique=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("billing account"),
    )
    action = models.CharField(_("action"), max_length=20, choices=FormAction.choices)
    # What the first POST made or acted on, as "<kind>:<key>": "invoice:26-000012",
    # "payment:20000003", "service:42". A code, rendered into a page only when replayed.
    result = models.CharField(_("result"), max_length=60)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return f"{self.action} {self.result}"

    @property
    def result_key(self) -> str:
        """The key part of the result reference (an invoice or payment number, a service id)."""
        return self.result.partition(":")[2]
