"""Read models for screens: what a customer owes, and what a top-up would pay; the one-off lines
rendered in a period (for the closing documents)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.utils import timezone

from hutor.accounts.models import BillingAccount
from hutor.core import reads
from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceLine, InvoiceStatus, LineKind
from hutor.ledger import queries as ledger_queries

if TYPE_CHECKING:
    from django.db.models import QuerySet


class Payable(Protocol):
    """An open invoice as a Due counts it: an Invoice, or a screen's record of one."""

    @property
    def number(self) -> str: ...

    @property
    def total_money(self) -> Money: ...


@dataclass(frozen=True)
class Due:
    """What paying an invoice takes. Settlement goes oldest first and a newer invoice never
    overtakes an older one, so the money must cover this invoice *and every older unpaid one*:
    `invoices` lists them all (oldest first, this one last), `total` is their sum, and
    `lacking` is what the balance lacks for them (zero when the balance already covers them)."""

    invoices: Sequence[Payable]
    total: Money
    balance: Money
    lacking: Money

    @property
    def numbers(self) -> list[str]:
        return [invoice.number for invoice in self.invoices]

    @property
    def covers_others(self) -> bool:
        return len(self.invoices) > 1


def _due(open_invoices: Sequence[Payable], balance: Money, currency: str) -> Due:
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


def open_invoices(account: BillingAccount) -> list[Invoice]:
    """The account's unpaid invoices in the order settlement pays them."""
    return list(
        Invoice.objects.filter(billing_account=account, status=InvoiceStatus.UNPAID).order_by(
            "issued_at", "id"
        )
    )


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
    def newest(self) -> Payable | None:
        return self.due.invoices[-1] if self.due.invoices else None


@dataclass(frozen=True, slots=True)
class OwedInvoice:
    """What the home page's "unpaid" block shows of an open invoice."""

    number: str
    total_money: Money
    due_date: dt.date


def _owed_sql() -> str:
    c = reads.column
    return (
        f"SELECT {c(Invoice, 'number')}, {c(Invoice, 'total')}, {c(Invoice, 'due_date')} "  # noqa: S608
        f"FROM {reads.table(Invoice)} "
        f"WHERE {c(Invoice, 'billing_account')} = %s AND {c(Invoice, 'status')} = %s "
        f"ORDER BY {c(Invoice, 'issued_at')}, {c(Invoice, 'id')}"
    )


_OWED = reads.Read(
    _owed_sql,
    [None, reads.field(Invoice, "total"), reads.field(Invoice, "due_date")],
)


def owed(billing_account_id: int, currency: str, balance: Money) -> Owed:
    """Every open invoice of the account, in the order settlement pays them: one query,
    whatever the history (an account has few open invoices: each is paid or cancelled within
    days)."""
    invoices = [
        OwedInvoice(number, Money(total, currency), due_date)
        for number, total, due_date in _OWED.rows([billing_account_id, InvoiceStatus.UNPAID.value])
    ]
    return Owed(
        due=_due(invoices, balance, currency),
        nearest_due_date=min((i.due_date for i in invoices), default=None),
    )


# Lines that render something once, not over a period (those are services.PaidPeriod's): a
# setup fee, a domain's restore out of the redemption period, a manual invoice's free item.
ONE_OFF_KINDS = (LineKind.SETUP, LineKind.RESTORE, LineKind.ITEM)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def one_off_lines(
    *, start: dt.date | None, end: dt.date, billing_account_id: int | None = None
) -> QuerySet[InvoiceLine]:
    """The one-off lines of the invoices paid from `start` (None: ever) to before `end` (the
    provider's local days): what was rendered once, dated the day its invoice was paid (the
    setup is done, the domain restored, the item delivered once it is paid). Oldest first."""
    lines = InvoiceLine.objects.filter(
        kind__in=ONE_OFF_KINDS,
        invoice__status=InvoiceStatus.PAID,
        invoice__paid_at__lt=_midnight(end),
    )
    if start is not None:
        lines = lines.filter(invoice__paid_at__gte=_midnight(start))
    if billing_account_id is not None:
        lines = lines.filter(invoice__billing_account_id=billing_account_id)
    return lines.select_related("invoice", "service__tariff").order_by(
        "invoice__paid_at", "invoice_id", "position"
    )
