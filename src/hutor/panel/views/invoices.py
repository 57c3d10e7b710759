from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hutor.core.templatetags.money import format_money
from hutor.invoices import documents
from hutor.invoices import queries as invoice_queries
from hutor.invoices.actions import settle_open_invoices
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.invoices.views import pdf_response
from hutor.ledger import queries as ledger_queries
from hutor.panel import submissions
from hutor.panel.models import FormAction
from hutor.panel.submissions import FormTokenError
from hutor.panel.views.common import customer_required


def _invoice(request: HttpRequest, number: str) -> Invoice:
    return get_object_or_404(
        Invoice,
        number=number,
        billing_account=request.account,  # type: ignore[attr-defined]
    )


@customer_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    invoices = Invoice.objects.filter(billing_account=request.account).order_by("-issued_at", "-id")  # type: ignore[attr-defined]
    status = request.GET.get("status")
    if status in InvoiceStatus.values:
        invoices = invoices.filter(status=status)
    page = Paginator(invoices, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "panel/invoices/list.html",
        {"page": page, "status": status, "statuses": InvoiceStatus.choices},
    )


@customer_required
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _invoice(request, number)
    return render(
        request,
        "panel/invoices/detail.html",
        {
            "invoice": invoice,
            "document_html": documents.render_html(invoice, standalone=False),
            # What the pay button asks and which invoices it pays: settlement goes oldest first,
            # so the button names every older unpaid invoice it covers (docs/payments.md).
            "due": invoice_queries.due_for(invoice) if invoice.is_open else None,
            "balance": ledger_queries.balance(invoice.billing_account),
        },
    )


@customer_required
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    return pdf_response(_invoice(request, number))


@customer_required
@require_POST
def invoice_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Pay from the balance; if it does not cover, go to a top-up of the missing amount."""
    invoice = _invoice(request, number)
    account = request.account  # type: ignore[attr-defined]

    def settle() -> str:
        if invoice.is_open:
            settle_open_invoices(billing_account=account)
        return f"invoice:{invoice.number}"

    try:
        token = submissions.read(request, account, FormAction.PAY_INVOICE)
        claim = submissions.submit(
            token=token, billing_account=account, action=FormAction.PAY_INVOICE, perform=settle
        )
    except FormTokenError as exc:
        messages.error(request, exc.message)
        response = invoice_detail(request, number)
        response.status_code = 400
        return response
    # A repeated POST is shown the same outcome as the first: the invoice as it stands now.
    invoice = _invoice(request, claim.result_key)
    if invoice.status == InvoiceStatus.PAID:
        messages.success(request, _("Invoice %(n)s is paid.") % {"n": invoice.number})
        return redirect("panel:invoice_detail", number=invoice.number)
    if invoice.status == InvoiceStatus.CANCELLED:
        messages.error(request, _("Invoice %(n)s is cancelled.") % {"n": invoice.number})
        return redirect("panel:invoice_detail", number=invoice.number)
    due = invoice_queries.due_for(invoice)
    missing = due.lacking
    if due.covers_others:
        message = _(
            "The balance does not cover invoice %(n)s: top up %(amount)s. Invoices are paid "
            "oldest first, so this pays invoices %(numbers)s."
        )
    else:
        message = _("The balance does not cover invoice %(n)s: top up %(amount)s.")
    messages.info(
        request,
        message
        % {"n": invoice.number, "amount": format_money(missing), "numbers": ", ".join(due.numbers)},
    )
    return redirect(f"{reverse('panel:top_up')}?amount={missing.amount}&invoice={invoice.number}")
