"""Payments: attempts to top up a balance through a payment method (S5: no invoice)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hutor.core.fields import AmountField, CurrencyField
from hutor.core.money import Money
from hutor.core.secrets import EncryptedJSONField


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
    # Gateway settings, secrets included (keys, passwords): the whole object encrypted at rest
    # (core.secrets, rotated by `hutor secrets rotate`); never shown back in full (admin.py).
    settings = EncryptedJSONField(_("settings"), default=dict, blank=True)
    is_test_mode = models.BooleanField(_("test mode"), default=False)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    min_amount = AmountField(_("minimum top-up"), default=100)
    max_amount = AmountField(_("maximum top-up"), default=500000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The provider company whose money this method collects (its bank account, its receipts);
    # empty: the default company's.
    company = models.ForeignKey(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_methods",
    )

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def name(self) -> str:
        return method_name(self.name_ru, self.name_en)


def method_name(name_ru: str, name_en: str) -> str:
    """A payment method's name in the active language."""
    return name_en if (get_language() or "ru").startswith("en") else name_ru


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
    # The invoice whose public page started this top-up (docs/payments.md, "Paying an invoice
    # without logging in"). Still a top-up (S5): the money goes to the balance, and settlement
    # pays the open invoices oldest first. Lets that page reuse a pending payment.
    invoice = models.ForeignKey(
        "invoices.Invoice",
        verbose_name=_("for invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Money that arrived but not as the payment expected it (after it expired or failed, or
    # another amount) is credited all the same and flagged for staff: a list of reasons, each
    # {"code": ReviewReason, "params": {...}}, rendered in the reader's language
    # (payments.review.describe). Empty: nothing to look at. `reviewed_at` set: looked at.
    review_reasons = models.JSONField(_("needs a look because"), default=list, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

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

    @property
    def needs_review(self) -> bool:
        return bool(self.review_reasons) and self.reviewed_at is None


class ReviewReason(models.TextChoices):
    """Why a credited payment is on the desk's "needs a look" list (stored as a code)."""

    LATE = "late", _("Paid after the payment expired")  # params: expired_at
    AFTER_FAILURE = "after_failure", _("Paid after the payment failed")  # params: failure
    AMOUNT_DIFFERS = "amount_differs", _("Another amount arrived")  # params: expected, received


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # the balance is debited; the service has not confirmed
    SUCCEEDED = "succeeded", _("Refunded")  # the payment service confirmed the refund
    FAILED = "failed", _("Failed")  # the service refused it; the debit was reversed


class Refund(models.Model):
    """Part or all of a credited payment going back to the payer through its payment service.

    Written PENDING and committed before the service is asked, with the journal entry that
    debits the balance (customer -> clearing, kind REFUND, keyed by `idempotency_key`); the
    same key is the idempotence key sent to the service, so asking again (a timeout, a retry by
    the worker) never refunds twice. The service's answer then moves it to SUCCEEDED, or to
    FAILED with a reversing entry that gives the balance back. Pending and succeeded refunds
    of a payment never sum above its amount (checked under the payment's row lock).
    """

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = AmountField(_("amount"))
    currency = CurrencyField(_("currency"))
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    # One key per refund: the journal entry's, and the service's idempotence key. Derived from
    # the desk form's one-time token, so a double-submitted form is one refund.
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    gateway_refund_id = models.CharField(_("refund id at the service"), max_length=100, blank=True)
    # Why it failed, as a code plus parameters (see payments.refunds.failure_text).
    failure_code = models.CharField(_("failure"), max_length=40, blank=True)
    failure_params = models.JSONField(_("failure details"), default=dict, blank=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name=_("refund entry"),
        on_delete=models.PROTECT,
        related_name="refund",
    )
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name=_("reversal entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_refund",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    attempted_at = models.DateTimeField(_("last asked the service at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="failed") | models.Q(reversal_entry__isnull=False),
                name="refund_failed_is_reversed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}:{self.pk}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


# --- Bank statements (hutor.payments.bank) -------------------------------------------------------


class BankStatement(models.Model):
    """One uploaded bank statement file (1C exchange format) and the report of its import.

    Importing a file again is allowed and credits nothing twice: every bank document is keyed
    (see BankStatementLine.idempotency_key), so its lines come out as duplicates.
    """

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    # Not empty: the whole file was refused (broken structure, unreadable); nothing was read.
    # Why, as a code and its parameters (payments/bank/reasons.py words them); files rejected
    # before codes existed keep their English sentence in `rejected_reason`.
    rejected_code = models.CharField(_("file rejected because"), max_length=64, blank=True)
    rejected_params = models.JSONField(_("rejection parameters"), default=dict, blank=True)
    rejected_reason = models.CharField(
        _("file rejected because (old text)"), max_length=500, blank=True
    )
    documents_count = models.PositiveIntegerField(_("documents"), default=0)
    credited_count = models.PositiveIntegerField(_("credited"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    unmatched_count = models.PositiveIntegerField(_("unmatched"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def is_rejected(self) -> bool:
        return bool(self.rejected_code or self.rejected_reason)

    @property
    def rejected_text(self) -> str:
        """Why the file was refused, in the active language."""
        from hutor.payments.bank.reasons import render_reason

        if self.rejected_code:
            return render_reason(self.rejected_code, self.rejected_params)
        return self.rejected_reason


class BankLineStatus(models.TextChoices):
    CREDITED = "credited", _("Credited")  # matched or assigned; credited to a balance, once
    DUPLICATE = "duplicate", _("Duplicate")  # the same bank document was seen before: no money
    UNMATCHED = "unmatched", _("Unmatched")  # ours, but whose? waits for an accountant
    NOT_OURS = "not_ours", _("Not ours")  # an accountant found it is no customer's payment
    REJECTED = "rejected", _("Rejected")  # a malformed document: nothing credited
    SKIPPED = "skipped", _("Skipped")  # not an incoming payment to our account (outgoing)


class BankMatchRule(models.TextChoices):
    PAYMENT = "payment", _("Payment number")  # the purpose quotes a payment's number
    INVOICE = "invoice", _("Invoice number")  # the purpose quotes an invoice's number
    ACCOUNT = "account", _("Billing account number")  # the purpose quotes an account number
    INN = "inn", _("Payer's INN")  # exactly one billing account has the payer's INN
    ASSIGNED = "assigned", _("Assigned by staff")  # an accountant assigned it from the queue
    MANUAL = "manual", _("Manual payment")  # an accountant recorded it by hand


class BankStatementLine(models.Model):
    """A bank document: one section of a statement, or a payment recorded by hand (no
    statement). The line that first saw a bank document owns its idempotency key; the same
    document seen again is a duplicate pointing at it, so it is credited at most once."""

    statement = models.ForeignKey(
        BankStatement,
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    document_kind = models.CharField(_("document kind"), max_length=100, blank=True)
    document_number = models.CharField(_("document number"), max_length=64, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    amount = AmountField(_("amount"), null=True, blank=True)
    currency = CurrencyField(_("currency"))
    payer_name = models.CharField(_("payer"), max_length=300, blank=True)
    payer_inn = models.CharField(_("payer's INN"), max_length=20, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=34, blank=True)
    recipient_account = models.CharField(_("recipient's account"), max_length=34, blank=True)
    purpose = models.TextField(_("purpose of payment"), blank=True)
    raw = models.TextField(_("section text"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=BankLineStatus.choices)
    # Why it was matched, skipped, rejected or left waiting: a code and its parameters
    # (payments/bank/reasons.py words them in the reader's language). Lines imported before
    # codes existed keep their English sentence in `reason` when it could not be converted.
    reason_code = models.CharField(_("reason"), max_length=64, blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    reason = models.CharField(_("reason (old text)"), max_length=1000, blank=True)
    match_rule = models.CharField(
        _("matched by"), max_length=16, choices=BankMatchRule.choices, blank=True
    )
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_lines",
    )
    # The provider company whose bank account received the money (core.companies); empty for
    # lines not addressed to one of ours and for manual payments.
    company = models.ForeignKey(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_lines",
    )
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_line",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    # Owned by the first line that saw the bank document; NULL on duplicates and rejected ones.
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=200, unique=True, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"))
    # Who resolved it from the unmatched queue (or recorded it by hand), when and why.
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_reason = models.CharField(_("resolution reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="bank_line_amount_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="credited")
                | models.Q(payment__isnull=False, billing_account__isnull=False),
                name="bank_line_credited_has_payment",
            ),
        ]

    def __str__(self) -> str:
        date = self.document_date.strftime("%d.%m.%Y") if self.document_date else "?"
        return f"№ {self.document_number or '?'} от {date}"

    @property
    def money(self) -> Money | None:
        return Money(self.amount, self.currency) if self.amount is not None else None

    @property
    def reason_text(self) -> str:
        """The reason in the active language."""
        from hutor.payments.bank.reasons import render_reason

        if self.reason_code:
            return render_reason(self.reason_code, self.reason_params)
        return self.reason
