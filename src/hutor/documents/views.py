"""Serving a reconciliation statement: the page with its period form and the document on it,
or the PDF. The panel and the desk call `respond` with the account they have checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

from hutor.documents import reconciliation
from hutor.documents.forms import PeriodForm

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount


def respond(
    request: HttpRequest,
    account: BillingAccount,
    *,
    language: str,
    page: Callable[[dict[str, Any], int], HttpResponse],
) -> HttpResponse:
    """GET with a period shows the statement (or, with `format=pdf`, downloads it); without
    one, the form with this year so far. A bad period is said on the form. `page(context,
    status)` renders the page the way its side (panel or desk) renders pages."""
    asked = "start" in request.GET or "end" in request.GET
    form = PeriodForm(request.GET if asked else None)
    statement = None
    if asked and form.is_valid():
        statement = reconciliation.build(
            account, form.cleaned_data["start"], form.cleaned_data["end"]
        )
        if request.GET.get("format") == "pdf":
            response = HttpResponse(
                reconciliation.render_pdf(statement, language), content_type="application/pdf"
            )
            name = reconciliation.pdf_filename(statement)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    document = (
        reconciliation.render_html(statement, language, standalone=False) if statement else ""
    )
    context = {
        "account": account,
        "form": form,
        "statement": statement,
        "document": document,
        "pdf_query": f"{request.GET.urlencode()}&format=pdf" if statement else "",
    }
    return page(context, 400 if asked and not form.is_valid() else 200)


# The PDFs of a closing document: the act / УПД itself, and the invoice-factura of a VAT payer.
FORMS = ("document", "invoice-factura")


def closing_pdf_response(
    account: BillingAccount, pk: int, form: str, *, language: str
) -> HttpResponse:
    """The PDF of one of `account`'s closing documents (404 for another's, or for an
    invoice-factura the document has none of)."""
    from django.http import Http404

    from hutor.documents import closing_pdf, queries

    document = queries.one_of_account(account.pk, pk)
    if document is None or form not in FORMS:
        raise Http404
    if form == "invoice-factura":
        if not closing_pdf.has_invoice_factura(document):
            raise Http404
        body = closing_pdf.render_invoice_factura_pdf(document, language)
        name = f"invoice-factura-{document.year}-{document.number}.pdf"
    else:
        body = closing_pdf.render_pdf(document, language)
        name = closing_pdf.pdf_filename(document)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def closing_xml_response(account: BillingAccount, pk: int) -> HttpResponse:
    """The FNS XML file of one of `account`'s УПД or VAT payer's acts (404 for another's, for
    an act without VAT or a correction; 409 with the reason when its requisites cannot be
    written in the format)."""
    from django.http import Http404

    from hutor.documents import queries, upd_xml

    document = queries.one_of_account(account.pk, pk)
    if document is None or not document.has_fns_xml:
        raise Http404
    return xml_download(lambda: upd_xml.build(document))


def xml_download(build: Callable[[], Any]) -> HttpResponse:
    """An FNS XML file (documents.upd_xml.UpdFile, made by `build`) as an attachment in its
    encoding, or 409 with the reason it cannot be made."""
    from hutor.documents import upd_xml

    try:
        file = build()
    except upd_xml.XmlNotAvailable as refused:
        return HttpResponse(refused.message(), status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        file.content, content_type=f"application/xml; charset={upd_xml.ENCODING}"
    )
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


def advance_pdf_response(account: BillingAccount, pk: int, *, language: str) -> HttpResponse:
    """The PDF of one of `account`'s advance invoices-factura (404 for another's)."""
    from django.http import Http404

    from hutor.documents import advance_pdf, queries

    invoice = queries.advances_of_account(account.pk).filter(pk=pk).first()
    if invoice is None:
        raise Http404
    response = HttpResponse(
        advance_pdf.render_pdf(invoice, language), content_type="application/pdf"
    )
    name = advance_pdf.pdf_filename(invoice)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def advance_xml_response(account: BillingAccount, pk: int) -> HttpResponse:
    """The FNS XML file of one of `account`'s advance invoices-factura (404 for another's;
    409 with the reason when its requisites cannot be written in the format)."""
    from django.http import Http404

    from hutor.documents import advance_xml, queries

    invoice = queries.advances_of_account(account.pk).filter(pk=pk).first()
    if invoice is None:
        raise Http404
    return xml_download(lambda: advance_xml.build(invoice))
