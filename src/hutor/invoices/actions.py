"""Issuing, settling and cancelling invoices."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.forms.models import model_to_dict

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock
from hutor.core.models import Provider
from hutor.core.money import Money, total
from hutor.core.sequences import next_value
from hutor.invoices.emails import queue_paid_email
from hutor.invoices.exceptions import InvoiceNotOpen, ProviderNotConfigured
from hutor.invoices.models import Invoice, InvoiceLine, InvoiceStatus
from hutor.invoices.numbers import format_number
from hutor.invoices.signals import invoice_cancelled, invoice_paid
from hutor.ledger import actions as ledger
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import EntryKind
from hutor.notifications.actions import enqueue

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount
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
    tariff_code: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    period_months: int | None = None


def _payer_snapshot(account: BillingAccount) -> dict[str, Any]:
    return {
        "number": account.number,
        "kind": account.kind,
        "name": account.name,
        "inn": account.inn,
        "kpp": account.kpp,
        "address": account.address,
        "email": account.contact_email,
        "phone": account.phone,
    }


def _provider_snapshot() -> dict[str, Any]:
    provider = Provider.current()
    if provider is None:
        raise ProviderNotConfigured(
            "the provider's requisites are not set (admin: Core > Provider requisites)"
        )
    snapshot = model_to_dict(provider, exclude=["id", "vat_rate"])
    snapshot["vat_rate"] = str(provider.vat_rate) if provider.vat_rate is not None else None
    return snapshot


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
    """
    if not lines:
        raise ValueError("an invoice needs at least one line")
    amounts = [line.amount.rounded() for line in lines]
    if any(a.currency != billing_account.currency or not a.is_positive() for a in amounts):
        raise ValueError("invoice lines must be positive amounts in the account's currency")
    with transaction.atomic():
        provider = _provider_snapshot()
        now = clock.now()
        today = clock.today()
        invoice = Invoice.objects.create(
            number=format_number(today.year, next_value(f"invoice-{today.year}")),
            billing_account=billing_account,
            kind=kind,
            currency=billing_account.currency,
            total=total(amounts).amount,
            vat_rate=provider["vat_rate"],
            issued_at=now,
            issue_date=today,
            due_date=due_date or today + dt.timedelta(days=DEFAULT_DUE_DAYS),
            payer=_payer_snapshot(billing_account),
            provider=provider,
            language=billing_account.language,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=position,
                kind=line.kind,
                service=line.service,
                service_type_code=line.service_type_code,
                tariff_code=line.tariff_code,
                description_ru=line.description_ru,
                description_en=line.description_en,
                period_start=line.period_start,
                period_end=line.period_end,
                period_months=line.period_months,
                amount=amount.amount,
            )
            for position, (line, amount) in enumerate(zip(lines, amounts, strict=True), start=1)
        )
        if notify:
            enqueue(
                key=f"invoice-issued:{invoice.number}",
                template="invoice_issued",
                billing_account=billing_account,
                language=invoice.language,
                params={"invoice": invoice.number},
            )
    return invoice


def settle_open_invoices(*, billing_account: BillingAccount) -> list[Invoice]:
    """Pay the account's unpaid invoices from its balance, oldest first, while it covers them.

    Each invoice is paid by exactly one journal entry (customer balance -> revenue of each
    line's service type), keyed by the invoice number so it can never be paid twice. The ledger
    decides under its row locks whether the balance covers an invoice; settlement stops at the
    first one it does not cover, so a newer invoice never overtakes an older one. Runs after
    every credit to the balance, after an order, and in the daily run.
    """
    paid: list[Invoice] = []
    with transaction.atomic():
        lock_billing_account(billing_account)
        customer = ledger.customer_account(billing_account)
        open_invoices = list(
            Invoice.objects.select_for_update()
            .filter(billing_account=billing_account, status=InvoiceStatus.UNPAID)
            .order_by("issued_at", "id")
        )
        for invoice in open_invoices:
            try:
                with transaction.atomic():
                    _pay(invoice, customer)
            except InsufficientFunds:
                break
            paid.append(invoice)
    return paid


def _pay(invoice: Invoice, customer: ledger.LedgerAccount) -> None:
    by_type: dict[str, Money] = defaultdict(lambda: Money.zero(invoice.currency))
    for line in invoice.lines.all():
        by_type[line.service_type_code] += Money(line.amount, invoice.currency)
    entry, _ = ledger.post(
        lines=[(customer, -invoice.total_money)]
        + [
            (ledger.revenue_account(code, invoice.currency), amount)
            for code, amount in sorted(by_type.items())
        ],
        kind=EntryKind.SETTLEMENT,
        memo=f"Invoice {invoice.number}",
        reference=invoice.number,
        billing_account=invoice.billing_account,
        idempotency_key=f"invoice:{invoice.number}:settlement",
    )
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = clock.now()
    invoice.settlement_entry = entry
    invoice.save(update_fields=["status", "paid_at", "settlement_entry"])
    invoice_paid.send(sender=Invoice, invoice=invoice)
    queue_paid_email(invoice)


def cancel_invoice(*, invoice: Invoice) -> Invoice:
    """Withdraw an unpaid invoice. Its number stays used; its services hear of it."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.UNPAID:
            raise InvoiceNotOpen(f"invoice {invoice.number} is {invoice.get_status_display()}")
        invoice.status = InvoiceStatus.CANCELLED
        invoice.cancelled_at = clock.now()
        invoice.save(update_fields=["status", "cancelled_at"])
        invoice_cancelled.send(sender=Invoice, invoice=invoice)
    return invoice
