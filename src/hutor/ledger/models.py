"""Double-entry ledger: the only place where money is written.

Invariants (all verified by `hutor ledger check`):
- every journal entry has two or more postings, none zero, summing to zero per currency;
- a posting's currency is its ledger account's currency;
- every ledger account's cached `balance` equals the sum of its postings;
- every ledger account's cached `credited` equals the sum of its positive top-up postings;
- no ledger account with a `min_balance` is below it (a customer balance never goes negative);
- entries and postings are append-only: refused here and by database triggers (guards.py).

Sign convention: a ledger account's balance is the sum of its postings. A customer balance is
positive when the provider holds the customer's money; revenue grows positive; the clearing
account of a payment method goes negative by what the payment service owes the provider.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hutor.core.fields import AmountField, CurrencyField
from hutor.core.money import Money
from hutor.ledger.exceptions import ImmutableLedger


class LedgerAccountKind(models.TextChoices):
    CUSTOMER_BALANCE = "customer", _("Customer balance")  # one per billing account
    REVENUE = "revenue", _("Revenue")  # one per service type
    CLEARING = "clearing", _("Payment method clearing")  # one per payment method
    BANK = "bank", _("Bank")  # the provider's settlement account, for bank transfers
    ADJUSTMENTS = "adjustments", _("Adjustments")  # staff corrections and goodwill credits


class LedgerAccount(models.Model):
    code = models.CharField(_("code"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerAccountKind.choices)
    name = models.CharField(_("name"), max_length=200)
    currency = CurrencyField(_("currency"))
    billing_account = models.OneToOneField(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_account",
    )
    # Cached sum of postings; written only by ledger.actions.post() under a row lock.
    balance = AmountField(_("balance"), default=0)
    # Cached "total of credited payments" (S3): the sum of this account's positive postings in
    # top-up entries (PAYMENT_KINDS); written with `balance`, in the same UPDATE.
    credited = AmountField(_("total credited"), default=0)
    # Lowest balance allowed (0 for customer balances); null means no limit.
    min_balance = AmountField(_("minimum balance"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(fields=["code", "currency"], name="ledger_account_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.currency})"

    @property
    def balance_money(self) -> Money:
        return Money(self.balance, self.currency)


class EntryKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")  # money from a payment service or bank reaches a balance
    SETTLEMENT = "settlement", _("Invoice payment")  # a balance pays an invoice
    TARIFF_CREDIT = "tariff_credit", _("Tariff change credit")  # unused days credited back
    # A service cancelled by its customer: its unused paid days given back to the balance.
    CANCELLATION_CREDIT = "cancellation_credit", _("Cancellation credit")
    REFUND = "refund", _("Refund")  # money leaves a balance back to the payer
    ADJUSTMENT = "adjustment", _("Adjustment")  # a staff correction, with its reason in memo
    REVERSAL = "reversal", _("Reversal")  # cancels an earlier entry posting by posting its opposite


# Entries whose credit to a customer balance counts as a "credited payment" (S3).
PAYMENT_KINDS = (EntryKind.TOP_UP,)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableLedger(f"{self.model.__name__} rows cannot be updated")

    def delete(self) -> NoReturn:
        raise ImmutableLedger(f"{self.model.__name__} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableLedger(f"{type(self).__name__} {self.pk} cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableLedger(f"{type(self).__name__} {self.pk} cannot be deleted")


class JournalEntry(AppendOnlyModel):
    created_at = models.DateTimeField(_("created at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    memo = models.CharField(_("description"), max_length=300, blank=True)
    # Public number of the document behind the entry (invoice, payment), for statements.
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
    )
    # Unique: a second post with the same key moves nothing (see actions.post).
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=200, unique=True, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.reference}".strip()


class Posting(AppendOnlyModel):
    entry = models.ForeignKey(
        JournalEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(
        LedgerAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="postings"
    )
    amount = AmountField(_("amount"))  # signed; the entry's postings sum to zero
    currency = CurrencyField(_("currency"))

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        indexes = [models.Index(fields=["account", "entry"])]

    def __str__(self) -> str:
        return f"{self.account.code} {self.amount} {self.currency}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)
