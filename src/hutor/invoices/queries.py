"""Read models for screens: what a customer owes, and what a top-up would pay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hutor.accounts.models import BillingAccount
from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.ledger import queries as ledger_queries


@dataclass(frozen=True)
class Due:
    """What paying an invoice takes. Settlement goes oldest first and a newer invoice never
    overtakes an older one, so the money must cover this invoice *and every older unpaid one*:
    `invoices` lists them all (oldest first, this one last), `total` is their sum, and
    `lacking` is what the balance lacks for them (zero when the balance already covers them)."""

    invoices: list[Invoice]
    total: Money
    balance: Money
    lacking: Money

    @property
    def numbers(self) -> list[str]:
        return [invoice.number for invoice in self.invoices]

    @property
    def covers_others(self) -> bool:
        return len(self.invoices) > 1


def _due(open_invoices: list[Invoice], balance: Money, currency: str) -> Due:
    total = Money.zero(currency)
    for invoice in open_invoices:
        total += invoice.total_money
    lacking = total - balance
    return Due(
        invoices=open_invoices,
        total=total,
        balance=balance,
        lacking=lacking if lacking.is_positive() else Money.zero(currency),
    )


# What the home page's "unpaid" block reads of each open invoice (its frozen payer and provider
# snapshots, decoded from JSON, are most of a row's cost).
OWED_FIELDS = ("number", "status", "currency", "total", "issued_at", "due_date")


def open_invoices(account: BillingAccount, *, only: Sequence[str] = ()) -> list[Invoice]:
    """The account's unpaid invoices in the order settlement pays them (with `only` those
    fields loaded)."""
    invoices = Invoice.objects.filter(billing_account=account, status=InvoiceStatus.UNPAID)
    if only:
        invoices = invoices.only(*only)
    return list(invoices.order_by("issued_at", "id"))


def due_for(invoice: Invoice) -> Due:
    """What a payment must bring so that `invoice` gets paid (see Due)."""
    account = invoice.billing_account
    older = [
        other
        for other in open_invoices(account)
        if (other.issued_at, other.pk) <= (invoice.issued_at, invoice.pk)
    ]
    if invoice.is_open and invoice not in older:
        older.append(invoice)
    return _due(older, ledger_queries.balance(account), invoice.currency)


@dataclass(frozen=True)
class Owed:
    """The home page's "unpaid" block: all open invoices together."""

    due: Due
    nearest_due_date: dt.date | None

    @property
    def count(self) -> int:
        return len(self.due.invoices)

    @property
    def newest(self) -> Invoice | None:
        return self.due.invoices[-1] if self.due.invoices else None


def owed(account: BillingAccount, balance: Money) -> Owed:
    """Every open invoice of the account: one query, whatever the history (an account has few
    open invoices: each is paid or cancelled within days)."""
    invoices = open_invoices(account, only=OWED_FIELDS)
    return Owed(
        due=_due(invoices, balance, account.currency),
        nearest_due_date=min((i.due_date for i in invoices), default=None),
    )
