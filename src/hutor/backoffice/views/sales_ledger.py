"""The desk's sales ledger (книга продаж): a provider company and a quarter chosen, the ledger
shown on the page in the form's table, and downloaded as CSV or PDF in the reader's language.
Accountants read it (it is built from the issued invoices-factura, documents.sales_ledger)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from hutor.backoffice import roles
from hutor.backoffice.views.common import render_desk
from hutor.core import replica
from hutor.documents import sales_ledger
from hutor.documents.forms import SalesLedgerForm

# WeasyPrint takes about 50 ms a row (docs/documents-and-taxes.md, «The sales ledger»): a longer
# ledger's PDF would outlast a web worker's timeout, so the desk offers the CSV and the CLI.
DESK_PDF_ROWS = 300


@roles.require_page("reports.finance")
def sales_ledger_page(request: HttpRequest) -> HttpResponse:
    asked = "quarter" in request.GET or "company" in request.GET
    form = SalesLedgerForm(request.GET if asked else None)
    if not asked or not form.is_valid():
        return render_desk(
            request,
            "backoffice/sales_ledger.html",
            {"form": form, "page": "reports", "slug": "sales-ledger"},
            status=400 if asked else 200,
        )
    language = (get_language() or "ru")[:2]
    with replica.reading():  # it only reads
        ledger = sales_ledger.build(form.cleaned_data["company"], form.cleaned_data["quarter"])
    wanted = request.GET.get("format")
    too_long = wanted == "pdf" and len(ledger.rows) > DESK_PDF_ROWS
    if wanted in ("csv", "pdf") and not too_long:
        if wanted == "csv":
            response = HttpResponse(
                sales_ledger.render_csv(ledger, language), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                sales_ledger.render_pdf(ledger, language), content_type="application/pdf"
            )
        name = sales_ledger.filename(ledger, wanted)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    return render_desk(
        request,
        "backoffice/sales_ledger.html",
        {
            "form": form,
            "ledger": ledger,
            "document": sales_ledger.render_html(ledger, language, standalone=False),
            "ledger_query": query.urlencode(),
            "pdf_refused": too_long,
            "pdf_rows": DESK_PDF_ROWS,
            "page": "reports",
            "slug": "sales-ledger",
        },
    )
