"""Payments: attempts to top up a balance through a payment method (S5: no invoice)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hutor.core.fields import AmountField, CurrencyField
from hutor.core.money import Money


class Gateway(models.TextChoices):
    DEMO = "demo", _("Demo payment service")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    WEBMONEY = "webmoney", "WebMoney"
    ZPAYMENT = "zpayment", "Z-Payment"
    ROBOKASSA = "robokassa", "Robokassa"
    YOOKASSA = "yookassa", "YooKassa"
    STRIPE = "stripe", "Stripe"


class PaymentMethod(models.Model):
    """A way to pay, configured by staff: a gateway plus its settings (purse, keys)."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    gateway = models.CharField(_("gateway"), max_length=32, choices=Gateway.choices)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    currency = CurrencyField(_("currency"))
    # Gateway settings, secrets included (never shown back in full: see admin.py).
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    is_test_mode = models.BooleanField(_("test mode"), default=False)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    min_amount = AmountField(_("minimum top-up"), default=100)
    max_amount = AmountField(_("maximum top-up"), default=500000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ru").startswith("en") else self.name_ru


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # created; waiting for the payment service or the bank
    SUCCEEDED = "succeeded", _("Credited")  # verified and credited to the balance, once
    FAILED = "failed", _("Failed")  # declined by the payer or the payment service
    EXPIRED = "expired", _("Expired")  # not paid in time


class Payment(models.Model):
    """A top-up attempt. Its number is the order id the payment service sees, and what a bank
    transfer's purpose quotes."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    method = models.ForeignKey(
        PaymentMethod, verbose_name=_("method"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = AmountField(_("amount"))
    currency = CurrencyField(_("currency"))
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The payment service's own id of the transaction; unique per method, so a notification
    # can be credited only once. NULL (not "") until known: the constraint ignores NULLs.
    gateway_transaction_id = models.CharField(  # noqa: DJ001
        _("transaction id"), max_length=100, null=True, blank=True
    )
    credit_entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name=_("credit entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
    )
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["billing_account", "created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["method", "gateway_transaction_id"],
                name="payment_transaction_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | models.Q(credit_entry__isnull=False),
                name="payment_succeeded_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)
