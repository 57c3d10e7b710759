"""The printable bank document of a bank-transfer payment: a PD-4 receipt for an individual, a
bill for payment for a company or sole proprietor (S5). Only the customer's own payments."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.invoices.exceptions import ProviderNotConfigured
from hutor.panel.views.common import customer_required
from hutor.payments.bank import documents
from hutor.payments.models import Gateway, Payment


def _bank_payment(request: HttpRequest, number: str) -> Payment:
    return get_object_or_404(
        Payment.objects.select_related("method", "billing_account"),
        number=number,
        billing_account=request.account,  # type: ignore[attr-defined]
        method__gateway=Gateway.BANK_TRANSFER,
    )


@customer_required
def payment_document(request: HttpRequest, number: str) -> HttpResponse:
    """The document on a page of its own, to print from the browser."""
    payment = _bank_payment(request, number)
    try:
        html = documents.render_html(payment, standalone=False)
    except ProviderNotConfigured as exc:
        raise Http404("the provider's requisites are not set") from exc
    return render(
        request,
        "payments/bank/page.html",
        {
            "payment": payment,
            "kind": documents.document_kind(payment.billing_account),
            "title": _("Bank document for payment %(number)s") % {"number": payment.number},
            "document_html": html,  # rendered by our template: already safe
            "back_url": reverse("panel:payment_detail", args=[payment.number]),
            "pdf_url": reverse("panel:payment_document_pdf", args=[payment.number]),
        },
    )


@customer_required
def payment_document_pdf(request: HttpRequest, number: str) -> HttpResponse:
    payment = _bank_payment(request, number)
    try:
        pdf = documents.render_pdf(payment)
    except ProviderNotConfigured as exc:
        raise Http404("the provider's requisites are not set") from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.pdf_filename(payment)}"'
    return response
