"""Issuing, settling and cancelling invoices."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import connection, transaction

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock, statements
from hutor.core.events import EventKind, publish_many
from hutor.invoices.emails import queue_paid_emails
from hutor.invoices.exceptions import InvoiceNotOpen
from hutor.invoices.issuers import Issuers
from hutor.invoices.issuers import provider_snapshot as provider_snapshot
from hutor.invoices.issuing import DEFAULT_DUE_DAYS as DEFAULT_DUE_DAYS
from hutor.invoices.issuing import InvoiceDraft as InvoiceDraft
from hutor.invoices.issuing import LineDraft as LineDraft
from hutor.invoices.issuing import (
    announcements,
    check,
    emails,
    event,
    freeze,
    number,
    paid_now,
    payable,
    settlement,
    settlements,
)
from hutor.invoices.issuing import payer_snapshot as payer_snapshot
from hutor.invoices.models import Invoice, InvoiceLine, InvoiceStatus
from hutor.invoices.numbers import format_number as format_number
from hutor.invoices.signals import invoice_cancelled, invoice_paid
from hutor.ledger import actions as ledger
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import LedgerAccount
from hutor.notifications.actions import enqueue_many

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount


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
) -> list[Invoice]:
    """Issue many invoices in the caller's transaction (one if there is none): numbers taken as
    one block in the drafts' order, content frozen, emails queued; returns them in order.

    Each draft is checked as issue_invoice() checks it, before anything is written. A draft is
    one provider company's (its first line's, invoices.issuers; issue_split() groups lines so):
    it freezes that company's requisites and the tax rule in force for it today
    (invoices.issuing.freeze, the rules shared with the billing run's issue_invoice_rows).

    `settle` pays each new invoice at once from its account's balance, by the rule of
    settle_open_invoices(): in the drafts' order, while the balance covers them, and never
    while the account has an older unpaid invoice (a newer invoice does not overtake it; once
    one is left unpaid, the account's later drafts are too). The caller holds the billing
    accounts' locks (accounts.actions.lock), so the balances read here hold; each payment is
    one journal entry keyed `invoice:<number>:settlement`, and the paid invoices are announced
    with one `invoices_paid` signal (their services are extended), sent once their lines are
    written, in this transaction; a receiver that fails, or a balance the ledger finds short,
    rolls it all back.
    """
    if not drafts:
        return []
    amounts = check(drafts)
    # One transaction: the caller's when there is one (no savepoint: a failure here fails it).
    with transaction.atomic(savepoint=False):
        issued, issued_lines = freeze(drafts, amounts)
        paying, customers = payable(drafts, issued) if settle else ([], {})
        number(issued)
        if paying:
            posted = ledger.post_many(settlements(paying, customers, drafts, issued, issued_lines))
            for k, (entry, _new) in zip(paying, posted, strict=True):
                issued[k].settlement_entry_id = entry.pk
        invoices = [invoice.model() for invoice in issued]
        Invoice.objects.bulk_create(invoices)
        lines = [[line.model() for line in own] for own in issued_lines]
        for invoice, own in zip(invoices, lines, strict=True):
            for line in own:
                line.invoice_id = invoice.pk
        InvoiceLine.objects.bulk_create([line for own in lines for line in own])
        paid_now(invoices, lines, paying, None)
        if notify:
            enqueue_many(emails=emails(drafts, invoices))
        publish_many(announcements(invoices, lines, paying))
    return invoices


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
        open_invoices = _lock_open(billing_account)
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
        drafts = [settlement(i, lines[i.pk], customer, revenue) for i in covered]
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


def _lock_open(billing_account: BillingAccount) -> list[Invoice]:
    """The account's unpaid invoices, oldest first, locked: by hand, as every credit of a
    payment asks (docs/performance.md, "Payment notifications") and mostly finds none."""
    columns = statements.columns(Invoice)
    quote = connection.ops.quote_name
    table = quote(Invoice._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql} FROM {table} WHERE {table}.{quote('billing_account_id')} = %s"  # noqa: S608
            f" AND {table}.{quote('status')} = %s"
            f" ORDER BY {table}.{quote('issued_at')}, {table}.{quote('id')}{lock}",
            [billing_account.pk, InvoiceStatus.UNPAID.value],
        )
        return [columns.build(row) for row in cursor.fetchall()]


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
                draft = settlement(invoice, lines[invoice.pk], customer, revenue)
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
