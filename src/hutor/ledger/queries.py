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


def with_balance_and_credited(accounts: QuerySet[BillingAccount]) -> QuerySet[BillingAccount]:
    """`accounts` loaded with their balance and total of credited payments (one join with the
    balance's row in the same query), for balance_and_credited() to read without a query."""
    return accounts.annotate(
        ledger_balance=F("ledger_account__balance"), ledger_credited=F("ledger_account__credited")
    )


def balance_and_credited(billing_account: BillingAccount) -> tuple[Money, Money]:
    """The customer's balance and total of credited payments, in one indexed lookup (none for
    an account loaded through with_balance_and_credited())."""
    row: tuple[Decimal | None, Decimal | None] | None
    if hasattr(billing_account, "ledger_balance"):
        row = (billing_account.ledger_balance, getattr(billing_account, "ledger_credited", None))
    else:
        row = (
            LedgerAccount.objects.filter(billing_account=billing_account)
            .values_list("balance", "credited")
            .first()
        )
    balance, credited = row if row else (None, None)
    if balance is None or credited is None:  # no ledger account yet: nothing posted
        balance, credited = Decimal(0), Decimal(0)
    return Money(balance, billing_account.currency), Money(credited, billing_account.currency)


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
