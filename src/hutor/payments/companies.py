"""Which provider company a payment's money belongs to: the one rule (docs/payments.md,
"Which company a payment is for").

A payment started from an invoice's page is the invoice's company's (the company that sold what
it pays). A top-up, which names no invoice (S5), is attributed in this order: the company whose
bank account received it (a bank statement line), else the payment method's company when the
method names one, else the company billing the customer's kind (core.companies.company_for with
no tariff), else the default company. Its fiscal receipt, its bank documents and its advance
invoice-factura are that company's; a customer still keeps one balance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hutor.core import companies as core_companies
from hutor.core.models import Provider

if TYPE_CHECKING:
    from hutor.payments.models import Payment


def company_of(
    payment: Payment, companies: core_companies.Companies | None = None
) -> Provider | None:
    """The company `payment` is for (its method, account and invoice are read); None only when
    no company is configured at all. `companies`: loaded once by a caller handling many."""
    companies = companies if companies is not None else core_companies.load()
    if payment.invoice is not None:
        issuer = (payment.invoice.provider or {}).get("id")
        if issuer in companies.by_id:
            return companies.by_id[issuer]
    line = getattr(payment, "bank_line", None)
    if line is not None and line.company_id in companies.by_id:
        return companies.by_id[line.company_id]
    if payment.method.company_id in companies.by_id:
        return companies.by_id[payment.method.company_id]
    return companies.company_for(None, payment.billing_account.kind)
