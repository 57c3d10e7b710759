"""Issuing advance invoices-factura (счета-фактуры на аванс): the one writer of AdvanceInvoice.

A VAT-paying provider issues one within five calendar days of receiving a prepayment (Tax Code
art. 168 p. 3; the VAT is charged on the prepayment when it is received, art. 154 p. 1, at the
calculated rate of art. 164 p. 4: 22/122, 20/120, or 5/105 and 7/107 under the simplified
regime paying VAT). Hutor issues it for every payment credited to a company's or sole
proprietor's balance, for the part of it that is a prepayment (calculations.advance_part: what
the customer has paid in all beyond the services rendered to them before the payment's day),
when the tax rule in force on the payment's day carries VAT. Individuals get none (a fiscal
receipt is theirs).

The document is the company's the payment is for (payments.companies.company_of: the
invoice's company, else the company whose bank account received it, else the method's, else
the one billing the customer's kind, else the default): its requisites, its tax rule, its
series. `issue_for_payment` is one transaction: it locks the billing account (the order every
money operation takes), then the company's series' counter (core.sequences, gapless:
"advance-YYYY" for the default company, "advance-YYYY-c<id>" for the others, as the closing
documents' series); the unique payment key makes a second issue for the same payment
impossible, and the document's email (with its PDF) is queued in the same transaction, once.
`issue_advances` runs it over the payments credited since a day: the daily billing run's
`advances` step (the last five days) and `hutor documents advance-invoices [--since DATE]`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock
from hutor.core import companies as core_companies
from hutor.core.models import Provider
from hutor.core.money import Money
from hutor.core.sequences import next_value
from hutor.documents import emails
from hutor.documents.actions import ELIGIBLE_KINDS
from hutor.documents.calculations import advance_part, rendered_by
from hutor.documents.models import AdvanceInvoice
from hutor.invoices.actions import payer_snapshot, provider_snapshot
from hutor.invoices.exceptions import ProviderNotConfigured
from hutor.invoices.queries import one_off_lines
from hutor.offers.queries import contract_of
from hutor.payments.companies import company_of
from hutor.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from hutor.services.models import PaidPeriod
from hutor.taxes.calculations import TaxTerms, vat_included
from hutor.taxes.queries import terms_on

# The law's five calendar days: the daily run looks this far back for payments without one.
WINDOW_DAYS = 5


def sequence_name(year: int, company: Provider) -> str:
    """The core.sequences counter of a company's advance invoices-factura of a year:
    "advance-YYYY-c<id>", named by the company's id as the closing documents' series
    (documents.actions.sequence_name)."""
    return f"advance-{year}-c{company.pk}"


def payment_day(payment: Payment) -> dt.date:
    """The provider's local day the payment reached the balance (its credit entry)."""
    assert payment.credit_entry is not None
    return timezone.localtime(payment.credit_entry.created_at).date()


def received(payment: Payment) -> Money:
    """What the account has paid in all up to and including `payment`: its credited payments
    less the refunds made (or under way) before it."""
    assert payment.credit_entry_id is not None
    paid = Payment.objects.filter(
        billing_account_id=payment.billing_account_id,
        status=PaymentStatus.SUCCEEDED,
        credit_entry_id__lte=payment.credit_entry_id,
    ).aggregate(total=Sum("amount"))["total"]
    refunded = (
        Refund.objects.filter(
            payment__billing_account_id=payment.billing_account_id,
            entry_id__lt=payment.credit_entry_id,
        )
        .exclude(status=RefundStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    # Rounded: SQLite sums decimals as binary floats.
    value = (paid or Decimal(0)) - (refunded or Decimal(0))
    return Money(value, payment.currency).rounded()


def rendered_before(billing_account_id: int, day: dt.date, currency: str) -> Money:
    """The services rendered to the account before `day`: every paid period's days before it,
    valued at what was paid (the acts' rule, calculations.rendered_by), and the one-off charges
    whose invoices were paid before it (the acts' rule too, rendering.one_offs)."""
    result = Money.zero(currency)
    for amount in (
        one_off_lines(start=None, end=day, billing_account_id=billing_account_id)
        .filter(invoice__currency=currency)
        .values_list("amount", flat=True)
    ):
        result += Money(amount, currency)
    periods = PaidPeriod.objects.filter(
        service__billing_account_id=billing_account_id, start__lt=day, amount__gt=0
    ).values_list("amount", "currency", "start", "end")
    for amount, period_currency, start, end in periods:
        if period_currency == currency:
            result += rendered_by(Money(amount, currency), start, end, day)
    return result


@dataclass
class Run:
    """What the payments of one run share, read once: the companies, each company's snapshot
    and its tax terms of each day."""

    companies: core_companies.Companies | None = None
    snapshots: dict[int, dict[str, Any]] = field(default_factory=dict)
    terms: dict[tuple[int, dt.date], TaxTerms] = field(default_factory=dict)

    def company(self, payment: Payment) -> Provider:
        if self.companies is None:
            self.companies = core_companies.load()
        company = company_of(payment, self.companies)
        if company is None:
            raise ProviderNotConfigured(
                "the provider's requisites are not set (admin: Core > Provider requisites)"
            )
        return company

    def snapshot(self, company: Provider) -> dict[str, Any]:
        if company.pk not in self.snapshots:
            self.snapshots[company.pk] = provider_snapshot(company)
        return self.snapshots[company.pk]

    def terms_on(self, company: Provider, day: dt.date) -> TaxTerms:
        if (company.pk, day) not in self.terms:
            self.terms[company.pk, day] = terms_on(company.pk, day)
        return self.terms[company.pk, day]


def _payment_document(payment: Payment, day: dt.date) -> tuple[str, dt.date]:
    """The payment document line 5 of the invoice-factura names: the bank's document for a
    bank transfer, else the payment's own number and day."""
    line = getattr(payment, "bank_line", None)
    if line is not None and line.document_number:
        return line.document_number, line.document_date or day
    return payment.number, day


def issue_for_payment(payment: Payment, *, run: Run | None = None) -> AdvanceInvoice | None:
    """The advance invoice-factura of one credited payment, or None when it gets none (an
    individual's, no VAT on its day, nothing of it in advance, or already issued)."""
    account = payment.billing_account
    if account.kind not in ELIGIBLE_KINDS or payment.status != PaymentStatus.SUCCEEDED:
        return None
    run = run if run is not None else Run()
    day = payment_day(payment)
    company = run.company(payment)
    terms = run.terms_on(company, day)
    if terms.rate is None:
        return None
    with transaction.atomic():
        lock_billing_account(account)
        if AdvanceInvoice.objects.filter(payment=payment).exists():
            return None
        advance = advance_part(
            payment.money, received(payment), rendered_before(account.pk, day, payment.currency)
        )
        if advance.amount <= 0:
            return None
        vat = vat_included(advance, terms.rate)
        assert vat is not None
        offer = contract_of(account.pk, day)
        document_number, document_date = _payment_document(payment, day)
        invoice = AdvanceInvoice.objects.create(
            year=day.year,
            number=next_value(sequence_name(day.year, company)),
            issued_on=day,
            payment=payment,
            billing_account=account,
            company=company,
            payment_document=document_number,
            payment_date=document_date,
            provider=run.snapshot(company),
            payer=payer_snapshot(account),
            offer_number=offer.number if offer else "",
            offer_date=offer.effective_from if offer else None,
            tax_regime=terms.regime,
            vat_rate=terms.rate,
            amount=advance.amount,
            vat_amount=vat.amount,
            currency=payment.currency,
            created_at=clock.now(),
        )
        emails.queue_advance(invoice)
        return invoice


@dataclass
class AdvanceReport:
    issued: int = 0
    skipped: int = 0  # no VAT that day, or nothing of the payment in advance
    errors: list[str] = field(default_factory=list)


def issue_advances(
    since: dt.date, *, progress: Callable[[int, int], None] | None = None
) -> AdvanceReport:
    """Issue the advance invoices-factura of the company and sole-proprietor payments credited
    from `since` (the provider's local day) on that have none yet, oldest first, one
    transaction per payment; safe to rerun."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    payments = list(
        Payment.objects.filter(
            status=PaymentStatus.SUCCEEDED,
            billing_account__kind__in=ELIGIBLE_KINDS,
            credit_entry__created_at__gte=start,
        )
        .exclude(pk__in=AdvanceInvoice.objects.values("payment_id"))
        .select_related("billing_account", "credit_entry", "bank_line", "method", "invoice")
        .order_by("credit_entry_id")
    )
    report, run = AdvanceReport(), Run()
    for done, payment in enumerate(payments, start=1):
        try:
            invoice = issue_for_payment(payment, run=run)
        except Exception as exc:  # one payment's failure must not stop the others
            report.errors.append(f"{payment.number}: {type(exc).__name__}: {exc}"[:500])
        else:
            if invoice is None:
                report.skipped += 1
            else:
                report.issued += 1
        if progress is not None:
            progress(done, len(payments))
    return report
