from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from hutor.invoices import documents, links
from hutor.invoices.models import Invoice


def _invoice_from_token(token: str) -> Invoice:
    number = links.number_from_token(token)
    if number is None:
        raise Http404("no such invoice")
    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None:
        raise Http404("no such invoice")
    return invoice


def public_invoice(request: HttpRequest, token: str) -> HttpResponse:
    """The invoice page a customer reaches from the email's link, without logging in."""
    invoice = _invoice_from_token(token)
    return render(
        request,
        "invoices/public.html",
        {
            "invoice": invoice,
            "document_html": documents.render_html(invoice, standalone=False),
            "pdf_url": links.public_pdf_url(invoice),
        },
    )


def public_invoice_pdf(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice_from_token(token)
    return pdf_response(invoice)


def pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(documents.render_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.pdf_filename(invoice)}"'
    return response
