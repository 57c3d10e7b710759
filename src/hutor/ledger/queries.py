"""Read models of the ledger for screens and reports."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import DecimalField, F, QuerySet, RowRange, Sum, Window
from django.db.models.functions import Round

from hutor.core.money import Money
from hutor.ledger.actions import AccountRef
from hutor.ledger.models import LedgerAccount, LedgerAccountKind, Posting

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


def customer_balances(billing_account_ids: Iterable[int]) -> dict[int, tuple[AccountRef, Decimal]]:
    """The billing accounts' balances (their customer ledger accounts as records, and the
    cached balance), by billing account id, in one query; an account with none is left out.
    Read under the billing accounts' locks, the balances hold to the end of the transaction."""
    return {
        billing_account_id: (AccountRef(pk, code, currency), balance)
        for billing_account_id, pk, code, currency, balance in LedgerAccount.objects.filter(
            billing_account_id__among=set(billing_account_ids),
            kind=LedgerAccountKind.CUSTOMER_BALANCE,
        ).values_list("billing_account_id", "pk", "code", "currency", "balance")
    }


def total_credited(billing_account: BillingAccount) -> Money:
    """Total of credited payments (S3): every top-up that reached the balance (the cached
    figure kept by ledger.actions with the balance, checked by `ledger check`)."""
    value = (
        LedgerAccount.objects.filter(billing_account=billing_account)
        .values_list("credited", flat=True)
        .first()
    )
    return Money(value or Decimal(0), billing_account.currency)


def balance_and_credited(billing_account: BillingAccount) -> tuple[Money, Money]:
    """The customer's balance and total of credited payments, in one indexed lookup."""
    row = (
        LedgerAccount.objects.filter(billing_account=billing_account)
        .values_list("balance", "credited")
        .first()
    )
    balance, credited = row if row else (None, None)
    return cached_figures(balance, credited, billing_account.currency)


def cached_figures(
    balance: Decimal | None, credited: Decimal | None, currency: str
) -> tuple[Money, Money]:
    """The balance and total credited as money, from the ledger account's cached columns as
    read by a join (None for both when the customer has no ledger account yet: nothing was
    posted, both are zero)."""
    if balance is None or credited is None:
        balance, credited = Decimal(0), Decimal(0)
    return Money(balance, currency), Money(credited, currency)


def statement(billing_account: BillingAccount) -> QuerySet[Posting]:
    """The customer's balance history: every posting on their balance, oldest first, with the
    entry's date, kind, reference and description, and the running balance after it."""
    # Rounded to the column's scale: SQLite sums decimals as binary floats (see checks.py).
    running = Round(
        Window(Sum("amount"), order_by=[F("entry_id").asc(), F("id").asc()], frame=RowRange(end=0)),
        settings.MONEY_DECIMAL_PLACES,
        output_field=DecimalField(),
    )
    return (
        Posting.objects.filter(account__billing_account=billing_account)
        .select_related("entry")
        .annotate(running_balance=running)
        .order_by("entry_id", "id")
    )
