"""54-ФЗ fiscal receipts: one per payment by an individual through a payment service, one per
refund of such a payment, registered through a cloud cash register (ATOL Online, API v5).

A `FiscalReceipt` is written in the transaction that credits the payment (or records the
refund as succeeded), with its whole request to the operator frozen in `payload` (the tax rule
in force on the payment's date, the selling company's INN, the customer's email) and the cash
register of that company it goes through, so it exists exactly when the money moved and never
changes afterwards. The worker sends it outside any transaction
(fiscal.tasks) under a stable `external_id`, so a retry after a timeout can never register it
twice: the operator answers a repeated external_id with error 33, which is read as "already
accepted" and followed by its report. Written only by fiscal.actions and fiscal.tasks.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hutor.core.fields import AmountField, CurrencyField
from hutor.core.money import Money
from hutor.core.queue import QueueJob
from hutor.core.secrets import EncryptedTextField

ATOL_BASE_URL = "https://online.atol.ru/possystem/v5/"


class SimplifiedSno(models.TextChoices):
    """Which simplified system a provider on УСН uses (the tax regime does not say)."""

    INCOME = "usn_income", _("Simplified, income")  # УСН «доходы»
    INCOME_OUTCOME = "usn_income_outcome", _("Simplified, income minus expenses")


class CashRegister(models.Model):
    """A provider company's cloud cash register at ATOL Online: where its receipts go.

    No row, or a disabled one, means no receipts are made (a provider outside Russia, or one
    that registers them another way). The password is encrypted at rest like gateway keys
    (core.secrets, rotated by `hutor secrets rotate`) and never shown back."""

    provider = models.OneToOneField(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        related_name="cash_register",
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    login = models.CharField(_("login"), max_length=100)
    password = EncryptedTextField(_("password"), blank=True)
    group_code = models.CharField(_("group code"), max_length=100)
    base_url = models.URLField(_("API address"), max_length=300, default=ATOL_BASE_URL)
    # Tag 1187, the place of settlement: the site where customers pay.
    payment_address = models.CharField(_("payment address (site)"), max_length=256)
    # Tag 1117, the seller's email printed on the receipt; the provider's email when empty.
    company_email = models.EmailField(_("seller's email"), blank=True)
    simplified_sno = models.CharField(
        _("simplified tax system"),
        max_length=20,
        choices=SimplifiedSno.choices,
        default=SimplifiedSno.INCOME,
    )

    class Meta:
        verbose_name = _("cash register")
        verbose_name_plural = _("cash registers")

    def __str__(self) -> str:
        return f"ATOL {self.group_code}"


class Operation(models.TextChoices):
    SELL = "sell", _("Sale")  # приход: a payment received
    SELL_REFUND = "sell_refund", _("Refund")  # возврат прихода: money returned


class ReceiptStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # waiting for the worker to send it (also between retries)
    SENT = "sent", _("Sent")  # the operator accepted it (uuid); its report is awaited
    REGISTERED = "registered", _("Registered")  # fiscalised: fiscal number and sign known
    FAILED = "failed", _("Failed")  # given up or refused by the operator; staff may retry


class FiscalReceipt(QueueJob):
    """One receipt to register; a job of fiscal.tasks' queues (sending, then the report)."""

    operation = models.CharField(_("operation"), max_length=16, choices=Operation.choices)
    payment = models.ForeignKey(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="fiscal_receipts",
    )
    refund = models.OneToOneField(
        "payments.Refund",
        verbose_name=_("refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fiscal_receipt",
    )
    # The cash register it goes through: the one of the company that sold what was paid
    # (payments.companies.company_of), frozen here; a refund receipt goes through its sale's.
    register = models.ForeignKey(
        CashRegister,
        verbose_name=_("cash register"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    amount = AmountField(_("amount"))
    currency = CurrencyField(_("currency"))
    # The operator's idempotency key: the same on every send of this receipt.
    external_id = models.CharField(_("external id"), max_length=128, unique=True)
    # The request's body as it is sent (the tags frozen at creation).
    payload = models.JSONField(_("request"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=ReceiptStatus.choices, default=ReceiptStatus.QUEUED
    )
    # attempts, next_attempt_at, last_error: the queue's (core.queue.QueueJob); attempts count
    # the current stage's tries (sending, then asking for the report).
    operator_uuid = models.CharField(_("operator's uuid"), max_length=64, blank=True)
    # The operator's report said `fail`: it did not register this external_id (so a retry by
    # staff may use a new one). Not set when the worker merely gave up asking.
    operator_failed = models.BooleanField(_("failed at the operator"), default=False)
    error_code = models.CharField(_("operator's error code"), max_length=16, blank=True)
    fiscal_document_number = models.CharField(
        _("fiscal document number"), max_length=20, blank=True
    )
    fiscal_document_attribute = models.CharField(_("fiscal sign"), max_length=20, blank=True)
    fn_number = models.CharField(_("fiscal storage number"), max_length=20, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fiscal receipt")
        verbose_name_plural = _("fiscal receipts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            # Exactly one sale receipt per payment, one refund receipt per refund.
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(operation="sell"),
                name="fiscal_one_sell_per_payment",
            ),
            models.CheckConstraint(
                condition=models.Q(operation="sell", refund__isnull=True)
                | models.Q(operation="sell_refund", refund__isnull=False),
                name="fiscal_refund_receipt_has_refund",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="fiscal_receipt_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def will_retry(self) -> bool:
        """Failed lately and waiting for its next try (status queued or sent, with an error)."""
        return self.status in (ReceiptStatus.QUEUED, ReceiptStatus.SENT) and bool(self.last_error)
