from django.http import Http404, HttpRequest, HttpResponse

from hutor.invoices import documents, links
from hutor.invoices.models import Invoice


def invoice_from_token(token: str) -> Invoice:
    number = links.number_from_token(token)
    if number is None:
        raise Http404("no such invoice")
    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None:
        raise Http404("no such invoice")
    return invoice


# The invoice's public page (GET invoice/<token>/) is panel.views.public_invoice: it offers the
# payment methods, which sit above invoices.


def public_invoice_pdf(request: HttpRequest, token: str) -> HttpResponse:
    invoice = invoice_from_token(token)
    return pdf_response(invoice)


def pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(documents.render_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.pdf_filename(invoice)}"'
    return response
