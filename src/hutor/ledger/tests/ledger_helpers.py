"""Small helpers shared by the ledger's tests (not a test module: pytest does not collect it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hutor.core.money import Money
from hutor.ledger import actions
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount, Posting


def rub(amount: str | int) -> Money:
    return Money(amount, "RUB")


def balance_of(account: LedgerAccount) -> Decimal:
    """The cached balance as stored now (the caller's instance may be stale)."""
    return LedgerAccount.objects.get(pk=account.pk).balance


@dataclass(frozen=True)
class LedgerState:
    """Everything a refused entry must leave untouched."""

    entries: int
    postings: int
    balances: dict[str, Decimal]


def ledger_state() -> LedgerState:
    return LedgerState(
        entries=JournalEntry.objects.count(),
        postings=Posting.objects.count(),
        balances={str(a): a.balance for a in LedgerAccount.objects.order_by("pk")},
    )


def top_up(
    customer: LedgerAccount, amount: str, *, key: str | None = None
) -> tuple[JournalEntry, bool]:
    """Money from the card payment service reaches the customer's balance."""
    clearing = actions.clearing_account("card", customer.currency)
    money = Money(amount, customer.currency)
    return actions.post(
        lines=[(clearing, -money), (customer, money)],
        kind=EntryKind.TOP_UP,
        billing_account=customer.billing_account,
        idempotency_key=key,
    )


def settle(
    customer: LedgerAccount, amount: str, *, key: str | None = None
) -> tuple[JournalEntry, bool]:
    """The customer's balance pays an invoice for a VPS."""
    revenue = actions.revenue_account("vps", customer.currency)
    money = Money(amount, customer.currency)
    return actions.post(
        lines=[(customer, -money), (revenue, money)],
        kind=EntryKind.SETTLEMENT,
        billing_account=customer.billing_account,
        idempotency_key=key,
    )
