"""Read models of the ledger for screens and reports."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum

from hutor.core.money import Money
from hutor.ledger.models import PAYMENT_KINDS, LedgerAccount, Posting

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount


def balance(billing_account: BillingAccount) -> Money:
    """The customer's current balance (the cached balance: one indexed lookup)."""
    value = (
        LedgerAccount.objects.filter(billing_account=billing_account)
        .values_list("balance", flat=True)
        .first()
    )
    return Money(value or Decimal(0), billing_account.currency)


def total_credited(billing_account: BillingAccount) -> Money:
    """Total of credited payments (S3): every top-up that reached the balance."""
    value = Posting.objects.filter(
        account__billing_account=billing_account,
        entry__kind__in=PAYMENT_KINDS,
        amount__gt=0,
    ).aggregate(total=Sum("amount"))["total"]
    return Money(value or Decimal(0), billing_account.currency)
