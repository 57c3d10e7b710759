"""An invoice's public page, reached from the invoice email by a signed link, without logging
in (a new customer has no password yet): the invoice, its PDF, and each enabled payment method
to pay what it needs. A wrong signature is a 404, so nobody sees another customer's invoice."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hutor.core.money import Money
from hutor.invoices import documents, links
from hutor.invoices import queries as invoice_queries
from hutor.invoices.models import Invoice
from hutor.invoices.views import invoice_from_token
from hutor.payments.actions import invoice_payment_amount, payment_link, start_invoice_payment
from hutor.payments.exceptions import InvalidTopUp
from hutor.payments.models import Gateway, PaymentMethod


@dataclass(frozen=True)
class Offer:
    method: PaymentMethod
    amount: Money
    is_bank: bool


def _methods(invoice: Invoice) -> list[PaymentMethod]:
    return list(PaymentMethod.objects.filter(is_enabled=True, currency=invoice.currency))


def public_invoice(request: HttpRequest, token: str) -> HttpResponse:
    invoice = invoice_from_token(token)
    due = invoice_queries.due_for(invoice) if invoice.is_open else None
    offers = []
    if due is not None and due.lacking.is_positive():
        for method in _methods(invoice):
            amount = invoice_payment_amount(due, method)
            if amount <= Money(method.max_amount, method.currency):
                offers.append(
                    Offer(method, amount, is_bank=method.gateway == Gateway.BANK_TRANSFER)
                )
    return render(
        request,
        "panel/invoice_public.html",
        {
            "invoice": invoice,
            "token": token,
            "due": due,
            "offers": offers,
            "document_html": documents.render_html(invoice, standalone=False),
            "pdf_url": links.public_pdf_url(invoice),
        },
    )


@require_POST
def public_invoice_pay(request: HttpRequest, token: str) -> HttpResponse:
    """Start (or reuse) the top-up that pays this invoice, then go to its payment link: the
    payment service, or the bank document. Nothing moves until the money is credited."""
    invoice = invoice_from_token(token)
    method = next((m for m in _methods(invoice) if m.slug == request.POST.get("method")), None)
    if method is None:
        raise Http404("no such payment method")
    try:
        payment = start_invoice_payment(invoice=invoice, method=method)
    except InvalidTopUp as exc:
        messages.error(request, str(exc))
        return redirect(links.public_path(invoice))
    if payment is None:
        messages.success(
            request, _("Invoice %(n)s is paid from the balance.") % {"n": invoice.number}
        )
        return redirect(links.public_path(invoice))
    return redirect(payment_link(payment))
