"""Issuing, settling and cancelling invoices."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock
from hutor.core.events import EventDraft, EventKind, publish_many
from hutor.core.money import Money, total
from hutor.core.rows import RowWriter
from hutor.core.sequences import next_values, reserve_ids
from hutor.invoices.emails import queue_paid_emails
from hutor.invoices.exceptions import InvoiceNotOpen
from hutor.invoices.issuers import Issuers
from hutor.invoices.issuers import provider_snapshot as provider_snapshot
from hutor.invoices.models import Invoice, InvoiceLine, InvoiceStatus
from hutor.invoices.numbers import format_number, sequence_name
from hutor.invoices.signals import invoice_cancelled, invoice_paid, invoices_paid
from hutor.ledger import actions as ledger
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import EntryKind, LedgerAccount, LedgerAccountKind
from hutor.notifications.actions import EmailDraft, enqueue_many
from hutor.offers import queries as offers
from hutor.taxes.calculations import TaxTerms, lines_vat, lines_vat_on_top
from hutor.taxes.queries import terms_on

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount
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


def payer_snapshot(account: BillingAccount, contract: Offer | None = None) -> dict[str, Any]:
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


# The billing run's row writer (core.rows): COPY on PostgreSQL, executemany on SQLite.
BulkInsert = RowWriter


@dataclass(frozen=True)
class InvoiceDraft:
    """One invoice for issue_invoices(): the arguments issue_invoice() takes."""

    billing_account: BillingAccount
    kind: str
    lines: list[LineDraft]
    due_date: dt.date | None = None
    issue_key: str | None = None


def issue_invoice(
    *,
    billing_account: BillingAccount,
    kind: str,
    lines: list[LineDraft],
    due_date: dt.date | None = None,
    notify: bool = True,
) -> Invoice:
    """Issue an invoice: its number is taken now, its content frozen, its email queued.

    Amounts are rounded per line (the documented rounding point); the total is their sum.
    The one-draft case of issue_invoices().
    """
    [invoice] = issue_invoices(
        drafts=[
            InvoiceDraft(billing_account=billing_account, kind=kind, lines=lines, due_date=due_date)
        ],
        notify=notify,
    )
    return invoice


def issue_split(
    *, billing_account: BillingAccount, kind: str, lines: list[LineDraft]
) -> list[Invoice]:
    """Issue the lines as one invoice per provider company selling them (an order mixing
    tariffs of two companies: two invoices, two numbers, two companies' requisites), in one
    issue_invoices() call: numbered together, issued at the same moment."""
    groups = Issuers().split(lines, billing_account.kind)
    return issue_invoices(
        drafts=[
            InvoiceDraft(billing_account=billing_account, kind=kind, lines=own)
            for _company, own in groups
        ]
    )


def issue_invoices(
    *,
    drafts: Sequence[InvoiceDraft],
    notify: bool = True,
    settle: bool = False,
    insert: BulkInsert | None = None,
    written: Callable[[list[Invoice]], None] | None = None,
) -> list[Invoice]:
    """Issue many invoices in the caller's transaction (one if there is none): numbers taken as
    one block in the drafts' order, content frozen, emails queued; returns them in order.

    Each draft is checked as issue_invoice() checks it, before anything is written. A draft is
    one provider company's (its first line's, invoices.issuers; issue_split() groups lines so):
    it freezes that company's requisites and the tax rule in force for it today.

    `settle` pays each new invoice at once from its account's balance, by the rule of
    settle_open_invoices(): in the drafts' order, while the balance covers them, and never
    while the account has an older unpaid invoice (a newer invoice does not overtake it; once
    one is left unpaid, the account's later drafts are too). The caller holds the billing
    accounts' locks (accounts.actions.lock), so the balances read here hold; each payment is
    one journal entry keyed `invoice:<number>:settlement`, as _settlement() drafts it, and the paid
    invoices are announced with one `invoices_paid` signal (their services are extended),
    sent once their lines are written, in this transaction. Its receivers see the invoices
    as paid (status, paid_at, ids, lines) but must not count on their number or settlement
    entry yet: with `insert` both are set (on the same instances) only after the receivers
    ran, and a receiver that fails, or a balance the ledger finds short, rolls it all back.

    `insert` (the billing run's COPY on PostgreSQL) writes the rows instead of bulk_create; the
    invoices' ids are then drawn first, and their lines, and `written(invoices)` (rows that
    refer to the invoices by id, e.g. the run's Renewal rows), are written before the invoice
    sequence and the revenue accounts are locked, so processes issuing side by side hold those
    shared locks for as short a time as possible. Without it, `written` runs once the invoices
    are inserted.
    """
    if not drafts:
        return []
    amounts: list[list[Money]] = []
    for draft in drafts:
        if not draft.lines:
            raise ValueError("an invoice needs at least one line")
        rounded = [line.amount.rounded() for line in draft.lines]
        account = draft.billing_account
        if any(a.currency != account.currency or not a.is_positive() for a in rounded):
            raise ValueError("invoice lines must be positive amounts in the account's currency")
        amounts.append(rounded)
    # One transaction: the caller's when there is one (no savepoint: a failure here fails it).
    with transaction.atomic(savepoint=False):
        issuers = Issuers()
        # Per company: its requisites and the tax rule in force on the issue date (the
        # provider's local date), frozen.
        issuing: dict[int, tuple[dict[str, Any], TaxTerms]] = {}
        now = clock.now()
        today = clock.today()
        payers: dict[int, dict[str, Any]] = {}
        contracts = offers.contracts_of((d.billing_account.pk for d in drafts), today)
        invoices: list[Invoice] = []
        lines: list[list[InvoiceLine]] = []
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
                # Prices stated without VAT: each line's VAT goes on top of its net amount,
                # and the line, the invoice and the ledger carry the gross.
                vat = lines_vat_on_top(amounts[k], terms.rate)
                if vat is not None:
                    amounts[k] = [n + v for n, v in zip(amounts[k], vat[0], strict=True)]
            rounded = amounts[k]
            payer = payers.get(account.pk)
            if payer is None:
                payer = payers[account.pk] = payer_snapshot(account, contracts[account.pk])
            # Foreign keys by id: a model's related-object machinery costs more than the rest
            # of the row when there are a hundred thousand of them.
            invoices.append(
                Invoice(
                    number="",  # from the sequence, below
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
                    payer=payer,
                    provider=provider,
                    language=account.language,
                    issue_key=draft.issue_key,
                )
            )
            lines.append(
                [
                    InvoiceLine(
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
        paying, customers = _payable(drafts, invoices) if settle else ([], {})
        for k in paying:  # paid in this transaction (_settle_new posts the entries)
            invoices[k].status = InvoiceStatus.PAID
            invoices[k].paid_at = now
        all_lines = [line for own in lines for line in own]

        def write_lines() -> None:
            for invoice, own in zip(invoices, lines, strict=True):
                for line in own:
                    line.invoice_id = invoice.pk
            _insert(all_lines, insert)
            if written is not None:
                written(invoices)
            if paying:
                # Before the shared locks on the fast path, so that what the receivers write
                # (the services extended) is not written in turn; see the docstring.
                invoices_paid.send(
                    sender=Invoice,
                    invoices=[invoices[k] for k in paying],
                    lines=[line for k in paying for line in lines[k]],
                    insert=insert,  # receivers may write their rows the same way
                )

        if insert is not None:
            for invoice, pk in zip(invoices, reserve_ids(Invoice, len(invoices)), strict=True):
                invoice.pk = pk
            write_lines()
        # From here on the shared locks: the sequence's row, then (post_many) the ledger's.
        year = today.year
        for invoice, value in zip(
            invoices, next_values(sequence_name(year), len(invoices)), strict=True
        ):
            invoice.number = format_number(year, value)
        if paying:
            _settle_new(paying, customers, drafts, invoices, lines, insert)
        _insert(invoices, insert)
        if insert is None:
            write_lines()
        if notify:
            # One email per invoice: one paid at once is announced as paid (with its PDF), as
            # queue_paid_emails() leaves it when a settlement beats the "issued" email.
            paid = set(paying)
            enqueue_many(
                emails=[
                    EmailDraft(
                        key=f"invoice-{'paid' if k in paid else 'issued'}:{invoice.number}",
                        template="invoice_paid" if k in paid else "invoice_issued",
                        billing_account=draft.billing_account,
                        language=invoice.language,
                        params={"invoice": invoice.number},
                    )
                    for k, (draft, invoice) in enumerate(zip(drafts, invoices, strict=True))
                ],
                insert=insert,
            )
        # Announced once numbered: each invoice issued, then those paid at once as paid.
        publish_many(
            [
                event(EventKind.INVOICE_ISSUED, i, own)
                for i, own in zip(invoices, lines, strict=True)
            ]
            + [event(EventKind.INVOICE_PAID, invoices[k], lines[k]) for k in paying],
            insert=insert,
        )
    return invoices


def event(kind: str, invoice: Invoice, lines: Sequence[InvoiceLine]) -> EventDraft:
    """The event announcing an invoice (issued, paid, cancelled): its number, amounts as
    decimal strings, and its lines by service (docs/webhooks.md).

    `invoice.issued` shows the invoice as issued (unpaid, no paid_at), also when it was paid
    in the same transaction (`invoice.paid` follows): one invoice is announced the same way
    whether it was issued and paid by one call (the billing run's batch) or by two (a
    renewal in the panel, then its settlement); billing/tests/test_renewal_parity.py."""
    issued = kind == EventKind.INVOICE_ISSUED
    data: dict[str, Any] = {
        "account": invoice.payer.get("number", ""),
        "invoice": invoice.number,
        "kind": invoice.kind,
        "status": InvoiceStatus.UNPAID if issued else invoice.status,
        "amount": invoice.total,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "lines": [
            {
                "service_id": line.service_id,
                "service_type": line.service_type_code,
                "tariff": line.tariff_code,
                "period_start": line.period_start,
                "period_end": line.period_end,
                "amount": line.amount,
            }
            for line in lines
        ],
    }
    if invoice.paid_at is not None and not issued:
        data["paid_at"] = invoice.paid_at
    if invoice.cancelled_at is not None:
        data["cancelled_at"] = invoice.cancelled_at
    return EventDraft(kind, invoice.billing_account_id, data)


def _insert(objs: Sequence[Model], insert: BulkInsert | None) -> None:
    if not objs:
        return
    if insert is not None:
        insert(objs)
    else:
        type(objs[0])._default_manager.bulk_create(objs)


def _payable(
    drafts: Sequence[InvoiceDraft], invoices: list[Invoice]
) -> tuple[list[int], dict[int, LedgerAccount]]:
    """Which new invoices (their indexes) the balances pay, by settle_open_invoices()'s order,
    and the accounts' balances (ledger accounts by billing account id)."""
    account_ids = {draft.billing_account.pk for draft in drafts}
    # An account with an older unpaid invoice pays that first (settlement order), not these.
    waiting = set(
        Invoice.objects.filter(
            billing_account_id__among=account_ids, status=InvoiceStatus.UNPAID
        ).values_list("billing_account_id", flat=True)
    )
    customers: dict[int, LedgerAccount] = {}
    for la in LedgerAccount.objects.filter(
        billing_account_id__among=account_ids, kind=LedgerAccountKind.CUSTOMER_BALANCE
    ):
        assert la.billing_account_id is not None  # a customer balance belongs to an account
        customers[la.billing_account_id] = la
    available = {account_id: la.balance for account_id, la in customers.items()}
    paying = []
    for k, (draft, invoice) in enumerate(zip(drafts, invoices, strict=True)):
        account_id = draft.billing_account.pk
        if account_id not in waiting and available.get(account_id, 0) >= invoice.total:
            available[account_id] -= invoice.total
            paying.append(k)
        else:
            waiting.add(account_id)  # this account's later drafts wait behind this one
    return paying, customers


def _settle_new(
    paying: list[int],
    customers: dict[int, LedgerAccount],
    drafts: Sequence[InvoiceDraft],
    invoices: list[Invoice],
    lines: list[list[InvoiceLine]],
    insert: BulkInsert | None,
) -> None:
    """Pay the invoices `paying` from their balances: one entry each, as _settlement() drafts
    it. The ledger rechecks every balance under its locks (InsufficientFunds rolls all back)."""
    revenue: dict[tuple[str, str], LedgerAccount] = {}
    entries = []
    for k in paying:
        invoice = invoices[k]
        by_type: dict[str, Money] = {}
        for line in lines[k]:
            amount = Money(line.amount, invoice.currency)
            code = line.service_type_code
            by_type[code] = by_type[code] + amount if code in by_type else amount
        for code in by_type:
            if (code, invoice.currency) not in revenue:
                revenue[(code, invoice.currency)] = ledger.revenue_account(code, invoice.currency)
        entries.append(
            ledger.EntryDraft(
                lines=[(customers[invoice.billing_account_id], -invoice.total_money)]
                + [
                    (revenue[(code, invoice.currency)], amount)
                    for code, amount in sorted(by_type.items())
                ],
                kind=EntryKind.SETTLEMENT,
                memo=f"Invoice {invoice.number}",
                reference=invoice.number,
                billing_account=drafts[k].billing_account,
                idempotency_key=f"invoice:{invoice.number}:settlement",
            )
        )
    posted = ledger.post_many(entries, insert=insert)
    for k, (entry, _new) in zip(paying, posted, strict=True):
        invoices[k].settlement_entry_id = entry.pk


def settle_open_invoices(
    *, billing_account: BillingAccount, customer: LedgerAccount | None = None
) -> list[Invoice]:
    """Pay the account's unpaid invoices from its balance, oldest first, while it covers them.

    Each invoice is paid by one journal entry (customer balance -> revenue of each line's
    service type) keyed by its number, so never twice; settlement stops at the first invoice the
    balance does not cover (a newer one never overtakes an older one). Set-based: invoices,
    balance and lines read once, one post_many, one UPDATE, events and emails in bulk; should
    the ledger find the balance short under its locks, they are paid one by one. `customer`
    (the ledger balance) comes from a caller that holds the billing account's lock already
    (payments.actions.credit_payment): with no open invoice, one query."""
    with transaction.atomic(savepoint=False):
        if customer is None:
            lock_billing_account(billing_account)
            customer = ledger.customer_account(billing_account)
        open_invoices = list(
            Invoice.objects.select_for_update()
            .filter(billing_account=billing_account, status=InvoiceStatus.UNPAID)
            .order_by("issued_at", "id")
        )
        if not open_invoices:
            return []
        balance, limit = LedgerAccount.objects.values_list("balance", "min_balance").get(
            pk=customer.pk
        )
        covered: list[Invoice] = []
        for invoice in open_invoices:
            if limit is not None and balance - invoice.total < limit:
                break
            balance -= invoice.total
            invoice.billing_account = billing_account  # read already, not once per invoice
            covered.append(invoice)
        lines: dict[int, list[InvoiceLine]] = defaultdict(list)
        for line in InvoiceLine.objects.filter(invoice__in=covered).order_by("position"):
            lines[line.invoice_id].append(line)
        revenue: dict[tuple[str, str], LedgerAccount] = {}
        drafts = [_settlement(i, lines[i.pk], customer, revenue) for i in covered]
        try:
            posted = ledger.post_many(drafts)
        except InsufficientFunds:
            return _settle_one_by_one(covered, lines, customer, revenue)
        now = clock.now()
        for invoice, (entry, _new) in zip(covered, posted, strict=True):
            invoice.status, invoice.paid_at = InvoiceStatus.PAID, now
            invoice.settlement_entry = entry
        Invoice.objects.bulk_update(covered, ["status", "paid_at", "settlement_entry"])
        _announce_paid(covered, lines)
    return covered


def _settlement(
    invoice: Invoice, lines: Sequence[InvoiceLine], customer: LedgerAccount, revenue: dict
) -> ledger.EntryDraft:
    """The entry paying `invoice`; `revenue` keeps the revenue accounts read for the call."""
    by_type: dict[str, Money] = defaultdict(lambda: Money.zero(invoice.currency))
    for line in lines:
        by_type[line.service_type_code] += Money(line.amount, invoice.currency)
        key = (line.service_type_code, invoice.currency)
        if key not in revenue:
            revenue[key] = ledger.revenue_account(*key)
    return ledger.EntryDraft(
        lines=[(customer, -invoice.total_money)]
        + [(revenue[(code, invoice.currency)], amount) for code, amount in sorted(by_type.items())],
        kind=EntryKind.SETTLEMENT,
        memo=f"Invoice {invoice.number}",
        reference=invoice.number,
        billing_account=invoice.billing_account,
        idempotency_key=f"invoice:{invoice.number}:settlement",
    )


def _announce_paid(invoices: list[Invoice], lines: dict[int, list[InvoiceLine]]) -> None:
    publish_many([event(EventKind.INVOICE_PAID, i, lines[i.pk]) for i in invoices])
    for invoice in invoices:
        invoice_paid.send(sender=Invoice, invoice=invoice)
    queue_paid_emails(invoices)


def _settle_one_by_one(
    invoices: list[Invoice],
    lines: dict[int, list[InvoiceLine]],
    customer: LedgerAccount,
    revenue: dict,
) -> list[Invoice]:
    """Each invoice in its own savepoint, while the ledger finds the balance covers it."""
    paid: list[Invoice] = []
    for invoice in invoices:
        try:
            with transaction.atomic():
                draft = _settlement(invoice, lines[invoice.pk], customer, revenue)
                ((invoice.settlement_entry, _new),) = ledger.post_many([draft])
                invoice.status, invoice.paid_at = InvoiceStatus.PAID, clock.now()
                invoice.save(update_fields=["status", "paid_at", "settlement_entry"])
        except InsufficientFunds:
            break
        paid.append(invoice)
    if paid:
        _announce_paid(paid, lines)
    return paid


def cancel_invoice(*, invoice: Invoice) -> Invoice:
    """Withdraw an unpaid invoice. Its number stays used; its services hear of it."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.UNPAID:
            raise InvoiceNotOpen(f"invoice {invoice.number} is {invoice.get_status_display()}")
        invoice.status = InvoiceStatus.CANCELLED
        invoice.cancelled_at = clock.now()
        invoice.save(update_fields=["status", "cancelled_at"])
        publish_many([event(EventKind.INVOICE_CANCELLED, invoice, list(invoice.lines.all()))])
        invoice_cancelled.send(sender=Invoice, invoice=invoice)
    return invoice
