"""What issuing invoices decides, for both writers of new invoices: issue_invoices()
(invoices.actions: model instances, bulk_create) and issue_invoice_rows() (below: the billing
run's batches, plain tuples through its row writer, no model instance built).

One place for each rule both follow: the drafts' checks and rounding, the frozen requisites
and tax rule (freeze), which new invoices the balances pay (payable), the settlement entry of
each (settlements), the numbers (number), the emails and the events (announcements). The two
differ only in how rows reach the database; billing/tests/test_renewal_parity.py compares the
rows of a renewal in the panel (issue_invoices, then a settlement) with the batch's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from django.db import transaction

from hutor.core import clock
from hutor.core.events import EventDraft, EventKind, publish_rows
from hutor.core.money import Money, total
from hutor.core.rows import RowWriter
from hutor.core.sequences import next_values, reserve_ids
from hutor.invoices.issuers import Issuers, provider_snapshot
from hutor.invoices.models import Invoice, InvoiceLine, InvoiceStatus
from hutor.invoices.numbers import format_number, sequence_name
from hutor.invoices.signals import invoices_paid
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind, LedgerAccount
from hutor.ledger.queries import customer_balances
from hutor.notifications.actions import EmailDraft, enqueue_many
from hutor.offers import queries as offers
from hutor.taxes.calculations import TaxTerms, lines_vat, lines_vat_on_top
from hutor.taxes.queries import terms_on

if TYPE_CHECKING:
    from hutor.accounts.actions import Payer
    from hutor.offers.models import Offer
    from hutor.services.models import Service

# Days a customer has to pay a new invoice.
DEFAULT_DUE_DAYS = 5


@dataclass(frozen=True)
class LineDraft:
    kind: str
    service_type_code: str
    description_ru: str
    description_en: str
    amount: Money
    service: Service | None = None
    service_id: int | None = None  # the service by id alone (the billing run's batches)
    tariff_code: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    period_months: int | None = None
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None  # a manual line's; `amount` is quantity × unit price


@dataclass(frozen=True)
class InvoiceDraft:
    """One invoice for issue_invoices(): the arguments issue_invoice() takes (the billing
    account as an instance, or as the record a batch reads: accounts.actions.AccountRecord)."""

    billing_account: Payer
    kind: str
    lines: list[LineDraft]
    due_date: dt.date | None = None
    issue_key: str | None = None


def payer_snapshot(account: Payer, contract: Offer | None = None) -> dict[str, Any]:
    """The payer's requisites frozen on an invoice, and the contract it is issued under (the
    public offer's number and date, offers.queries.contract_of; None before any offer)."""
    return {
        "number": account.number,
        "kind": account.kind,
        "name": account.name,
        "inn": account.inn,
        "kpp": account.kpp,
        "address": account.address,
        "email": account.contact_email,
        "phone": account.phone,
        "contract": offers.reference(contract),
    }


# Invoice's and InvoiceLine's fields (attnames) as IssuedInvoice and IssuedLine hold them.
INVOICE_FIELDS = (
    "number",
    "billing_account_id",
    "kind",
    "status",
    "currency",
    "total",
    "tax_regime",
    "vat_rate",
    "vat_amount",
    "issued_at",
    "issue_date",
    "due_date",
    "paid_at",
    "cancelled_at",
    "settlement_entry_id",
    "payer",
    "provider",
    "language",
    "issue_key",
)
LINE_FIELDS = (
    "invoice_id",
    "position",
    "kind",
    "service_id",
    "service_type_code",
    "tariff_code",
    "description_ru",
    "description_en",
    "period_start",
    "period_end",
    "period_months",
    "quantity",
    "unit_price",
    "amount",
    "vat_amount",
)


@dataclass(slots=True)
class IssuedInvoice:
    """A new invoice's row before it is written (an Invoice's fields, by the same names)."""

    id: int | None
    number: str
    billing_account_id: int
    kind: str
    status: str
    currency: str
    total: Decimal
    tax_regime: str
    vat_rate: Decimal | None
    vat_amount: Decimal | None
    issued_at: dt.datetime
    issue_date: dt.date
    due_date: dt.date
    paid_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    settlement_entry_id: int | None
    payer: dict[str, Any]
    provider: dict[str, Any]
    language: str
    issue_key: str | None

    @property
    def pk(self) -> int | None:
        return self.id

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    def model(self) -> Invoice:
        return Invoice(pk=self.id, **dict(zip(INVOICE_FIELDS, _invoice_row(self), strict=True)))


@dataclass(slots=True)
class IssuedLine:
    """A new invoice line's row before it is written (an InvoiceLine's fields)."""

    invoice_id: int | None
    position: int
    kind: str
    service_id: int | None
    service_type_code: str
    tariff_code: str
    description_ru: str
    description_en: str
    period_start: dt.date | None
    period_end: dt.date | None
    period_months: int | None
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal
    vat_amount: Decimal | None

    def model(self) -> InvoiceLine:
        return InvoiceLine(**dict(zip(LINE_FIELDS, _line_row(self), strict=True)))


_invoice_row = attrgetter(*INVOICE_FIELDS)
_line_row = attrgetter(*LINE_FIELDS)


def check(drafts: Sequence[InvoiceDraft]) -> list[list[Money]]:
    """Each draft's line amounts rounded (the documented rounding point), checked before
    anything is written (and outside the caller's transaction: a bad draft is a ValueError
    that leaves it usable)."""
    amounts: list[list[Money]] = []
    for draft in drafts:
        if not draft.lines:
            raise ValueError("an invoice needs at least one line")
        rounded = [line.amount.rounded() for line in draft.lines]
        account = draft.billing_account
        if any(a.currency != account.currency or not a.is_positive() for a in rounded):
            raise ValueError("invoice lines must be positive amounts in the account's currency")
        amounts.append(rounded)
    return amounts


def freeze(
    drafts: Sequence[InvoiceDraft], amounts: list[list[Money]]
) -> tuple[list[IssuedInvoice], list[list[IssuedLine]]]:
    """The drafts as invoices (unpaid, unnumbered) and their lines, with `amounts` (check()):
    the total their sum; each draft one provider company's (its first line's,
    invoices.issuers), freezing that company's requisites and the tax rule in force for it
    today, and the payer's."""
    issuers = Issuers()
    # Per company: its requisites and the tax rule in force on the issue date (the provider's
    # local date), frozen.
    issuing: dict[int, tuple[dict[str, Any], TaxTerms]] = {}
    now = clock.now()
    today = clock.today()
    payers: dict[int, dict[str, Any]] = {}
    contracts = offers.contracts_of((d.billing_account.pk for d in drafts), today)
    invoices: list[IssuedInvoice] = []
    lines: list[list[IssuedLine]] = []
    for k, draft in enumerate(drafts):
        account = draft.billing_account
        company = issuers.draft_company(draft.lines, account.kind)
        if company.pk not in issuing:
            snapshot = provider_snapshot(company)
            snapshot["prices_include_vat"] = company.prices_include_vat
            issuing[company.pk] = (snapshot, terms_on(company.pk, today))
        provider, terms = issuing[company.pk]
        if company.prices_include_vat:
            vat = lines_vat(amounts[k], terms.rate)
        else:
            # Prices stated without VAT: each line's VAT goes on top of its net amount, and
            # the line, the invoice and the ledger carry the gross.
            vat = lines_vat_on_top(amounts[k], terms.rate)
            if vat is not None:
                amounts[k] = [n + v for n, v in zip(amounts[k], vat[0], strict=True)]
        rounded = amounts[k]
        payer = payers.get(account.pk)
        if payer is None:
            payer = payers[account.pk] = payer_snapshot(account, contracts[account.pk])
        invoices.append(
            IssuedInvoice(
                id=None,
                number="",  # from the sequence (number)
                billing_account_id=account.pk,
                kind=draft.kind,
                status=InvoiceStatus.UNPAID,
                currency=account.currency,
                total=(rounded[0] if len(rounded) == 1 else total(rounded)).amount,
                tax_regime=terms.regime,
                vat_rate=terms.rate,
                vat_amount=None if vat is None else vat[1].amount,
                issued_at=now,
                issue_date=today,
                due_date=draft.due_date or today + dt.timedelta(days=DEFAULT_DUE_DAYS),
                paid_at=None,
                cancelled_at=None,
                settlement_entry_id=None,
                payer=payer,
                provider=provider,
                language=account.language,
                issue_key=draft.issue_key,
            )
        )
        lines.append(
            [
                IssuedLine(
                    invoice_id=None,
                    position=position,
                    kind=line.kind,
                    service_id=line.service.pk if line.service is not None else line.service_id,
                    service_type_code=line.service_type_code,
                    tariff_code=line.tariff_code,
                    description_ru=line.description_ru,
                    description_en=line.description_en,
                    period_start=line.period_start,
                    period_end=line.period_end,
                    period_months=line.period_months,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount=amount.amount,
                    vat_amount=None if vat is None else vat[0][position - 1].amount,
                )
                for position, (line, amount) in enumerate(
                    zip(draft.lines, rounded, strict=True), start=1
                )
            ]
        )
    return invoices, lines


def payable(
    drafts: Sequence[InvoiceDraft], invoices: Sequence[IssuedInvoice]
) -> tuple[list[int], dict[int, ledger.AccountRef]]:
    """Which new invoices (their indexes) the balances pay, by settle_open_invoices()'s order
    (in the drafts' order, while the balance covers them, never past an older unpaid invoice of
    the account: once one is left unpaid, the account's later drafts are too), marked paid now;
    and the accounts' balances (their ledger accounts as records, by billing account id)."""
    account_ids = {draft.billing_account.pk for draft in drafts}
    # An account with an older unpaid invoice pays that first (settlement order), not these.
    waiting = set(
        Invoice.objects.filter(
            billing_account_id__among=account_ids, status=InvoiceStatus.UNPAID
        ).values_list("billing_account_id", flat=True)
    )
    balances = customer_balances(account_ids)
    customers = {account_id: ref for account_id, (ref, _balance) in balances.items()}
    available = {account_id: balance for account_id, (_ref, balance) in balances.items()}
    paying = []
    for k, (draft, invoice) in enumerate(zip(drafts, invoices, strict=True)):
        account_id = draft.billing_account.pk
        if account_id not in waiting and available.get(account_id, 0) >= invoice.total:
            available[account_id] -= invoice.total
            paying.append(k)
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = invoice.issued_at
        else:
            waiting.add(account_id)  # this account's later drafts wait behind this one
    return paying, customers


def number(invoices: Sequence[IssuedInvoice]) -> None:
    """Number the invoices in their order: one block of the year's sequence (the shared lock,
    held to the end of the caller's transaction: gapless, no collision)."""
    if not invoices:
        return
    year = invoices[0].issue_date.year
    for invoice, value in zip(
        invoices, next_values(sequence_name(year), len(invoices)), strict=True
    ):
        invoice.number = format_number(year, value)


def settlements(
    paying: list[int],
    customers: dict[int, ledger.AccountRef],
    drafts: Sequence[InvoiceDraft],
    invoices: Sequence[IssuedInvoice],
    lines: Sequence[Sequence[IssuedLine]],
) -> list[ledger.EntryDraft]:
    """The entries paying the (numbered) new invoices `paying` from their balances."""
    revenue: dict[tuple[str, str], LedgerAccount] = {}
    return [
        settlement(
            invoices[k],
            lines[k],
            customers[invoices[k].billing_account_id],
            revenue,
            drafts[k].billing_account,
        )
        for k in paying
    ]


def settlement(
    invoice: Invoice | IssuedInvoice,
    lines: Sequence[InvoiceLine | IssuedLine],
    customer: LedgerAccount | ledger.AccountRef,
    revenue: dict[tuple[str, str], LedgerAccount],
    billing_account: Payer | None = None,
) -> ledger.EntryDraft:
    """The entry paying `invoice`: customer balance -> revenue of each line's service type
    (by code), keyed `invoice:<number>:settlement` (so never twice). `revenue` keeps the
    revenue accounts read for the call; `billing_account` is the invoice's (read from an
    Invoice when not given)."""
    by_type: dict[str, Money] = {}
    for line in lines:
        amount = Money(line.amount, invoice.currency)
        code = line.service_type_code
        by_type[code] = by_type[code] + amount if code in by_type else amount
        if (code, invoice.currency) not in revenue:
            revenue[(code, invoice.currency)] = ledger.revenue_account(code, invoice.currency)
    if billing_account is None:
        assert isinstance(invoice, Invoice)
        billing_account = invoice.billing_account
    return ledger.EntryDraft(
        lines=[(customer, -invoice.total_money)]
        + [(revenue[(code, invoice.currency)], amount) for code, amount in sorted(by_type.items())],
        kind=EntryKind.SETTLEMENT,
        memo=f"Invoice {invoice.number}",
        reference=invoice.number,
        billing_account=billing_account,
        idempotency_key=f"invoice:{invoice.number}:settlement",
    )


def emails(
    drafts: Sequence[InvoiceDraft], invoices: Sequence[IssuedInvoice | Invoice]
) -> list[EmailDraft]:
    """One email per invoice: one paid at once is announced as paid (with its PDF), as
    queue_paid_emails() leaves it when a settlement beats the "issued" email."""
    return [
        EmailDraft(
            key=f"invoice-{'paid' if paid else 'issued'}:{invoice.number}",
            template="invoice_paid" if paid else "invoice_issued",
            billing_account=draft.billing_account,
            language=invoice.language,
            params={"invoice": invoice.number},
        )
        for draft, invoice in zip(drafts, invoices, strict=True)
        for paid in [invoice.status == InvoiceStatus.PAID]
    ]


def announcements(
    invoices: Sequence[IssuedInvoice | Invoice],
    lines: Sequence[Sequence[IssuedLine | InvoiceLine]],
    paying: list[int],
) -> list[EventDraft]:
    """Announced once numbered: each invoice issued, then those paid at once as paid (the
    body of each invoice built once, for both: event())."""
    bodies = [_body(i, own) for i, own in zip(invoices, lines, strict=True)]
    return [
        _drafted(EventKind.INVOICE_ISSUED, i, body)
        for i, body in zip(invoices, bodies, strict=True)
    ] + [_drafted(EventKind.INVOICE_PAID, invoices[k], bodies[k]) for k in paying]


def event(
    kind: str, invoice: Invoice | IssuedInvoice, lines: Sequence[InvoiceLine | IssuedLine]
) -> EventDraft:
    """The event announcing an invoice (issued, paid, cancelled): its number, amounts as
    decimal strings, and its lines by service (docs/webhooks.md).

    `invoice.issued` shows the invoice as issued (unpaid, no paid_at), also when it was paid
    in the same transaction (`invoice.paid` follows): one invoice is announced the same way
    whether it was issued and paid by one call (the billing run's batch) or by two (a
    renewal in the panel, then its settlement); billing/tests/test_renewal_parity.py."""
    return _drafted(kind, invoice, _body(invoice, lines))


def _body(
    invoice: Invoice | IssuedInvoice, lines: Sequence[InvoiceLine | IssuedLine]
) -> dict[str, Any]:
    """What every event of `invoice` says, as `invoice.issued` says it (unpaid): _drafted()
    adds what a later kind says, into a copy (one body serves both events of a renewal)."""
    # Built plain (core.events.plain's forms: amounts as their decimal strings, dates in ISO
    # format), so publishing stores it as it is (ready=True).
    return {
        "account": invoice.payer.get("number", ""),
        "invoice": invoice.number,
        "kind": invoice.kind,
        "status": InvoiceStatus.UNPAID,
        "amount": str(invoice.total),
        "currency": invoice.currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "lines": [
            {
                "service_id": line.service_id,
                "service_type": line.service_type_code,
                "tariff": line.tariff_code,
                "period_start": None if start is None else start.isoformat(),
                "period_end": None if end is None else end.isoformat(),
                "amount": str(line.amount),
            }
            for line in lines
            for start, end in [(line.period_start, line.period_end)]
        ],
    }


def _drafted(kind: str, invoice: Invoice | IssuedInvoice, body: dict[str, Any]) -> EventDraft:
    issued = kind == EventKind.INVOICE_ISSUED
    data = body
    if not issued:
        data = {**body, "status": invoice.status}
        if invoice.paid_at is not None:
            data["paid_at"] = invoice.paid_at.isoformat()
    if invoice.cancelled_at is not None:
        data = {**data, "cancelled_at": invoice.cancelled_at.isoformat()}
    return EventDraft(kind, invoice.billing_account_id, data, ready=True)


def paid_now(
    invoices: Sequence[Any],
    lines: Sequence[Sequence[Any]],
    paying: list[int],
    insert: RowWriter | None,
) -> None:
    """Announce the invoices `paying` (paid at once) with the `invoices_paid` signal, with
    their lines and the caller's row writer (None: model instances), so that their services
    are extended in this transaction."""
    if paying:
        invoices_paid.send(
            sender=Invoice,
            invoices=[invoices[k] for k in paying],
            lines=[line for k in paying for line in lines[k]],
            insert=insert,
        )


def issue_invoice_rows(
    *,
    drafts: Sequence[InvoiceDraft],
    insert: RowWriter,
    written: Callable[[list[IssuedInvoice]], None] | None = None,
) -> list[IssuedInvoice]:
    """issue_invoices(settle=True) for the billing run's batches, by its rules (above), in the
    caller's transaction, whose caller holds the billing accounts' locks: every row (invoices,
    lines, settlement entries and postings, emails, events, webhook deliveries) written by
    `insert` (core.rows.RowWriter: COPY on PostgreSQL, executemany on SQLite) as plain tuples;
    no model instance is built. Returns the invoices as IssuedInvoice records, in order.

    The invoices' ids are drawn first; their lines, then `written(invoices)` (rows that refer
    to the invoices by id, e.g. the run's Renewal rows), then the `invoices_paid` signal's
    receivers (with IssuedInvoice and IssuedLine records, and `insert` to write their own
    rows: the services extended) run before the invoice sequence and the revenue accounts are
    locked, so processes issuing side by side hold those shared locks as briefly as possible.
    The receivers see the invoices as paid (status, paid_at, ids, lines) but not yet their
    numbers or settlement entries."""
    if not drafts:
        return []
    amounts = check(drafts)
    with transaction.atomic(savepoint=False):
        invoices, lines = freeze(drafts, amounts)
        paying, customers = payable(drafts, invoices)
        ids = reserve_ids(Invoice, len(invoices))
        for invoice, own, pk in zip(invoices, lines, ids, strict=True):
            invoice.id = pk
            for line in own:
                line.invoice_id = pk
        insert.rows(InvoiceLine, LINE_FIELDS, [_line_row(line) for own in lines for line in own])
        if written is not None:
            written(invoices)
        paid_now(invoices, lines, paying, insert)
        # From here on the shared locks: the sequence's row, then (post_rows) the ledger's.
        number(invoices)
        if paying:
            posted = ledger.post_rows(
                settlements(paying, customers, drafts, invoices, lines), insert=insert
            )
            for k, (entry_id, _new) in zip(paying, posted, strict=True):
                invoices[k].settlement_entry_id = entry_id
        insert.rows(Invoice, ("id", *INVOICE_FIELDS), [(i.id, *_invoice_row(i)) for i in invoices])
        enqueue_many(emails=emails(drafts, invoices), insert=insert)
        publish_rows(announcements(invoices, lines, paying), insert=insert)
    return invoices
