"""The customer's balance history: the page, and the same rows to download as CSV or .xlsx.

The downloads speak the customer's language (the panel's active one): Russian headers, `;`
between fields and decimal commas for Russian (what a Russian spreadsheet splits and reads as
numbers), English headers, `,` and decimal points for English. The columns are the page's:
the date, the kind of movement, its number, credit, debit and the balance after it; the
ledger's internal memos (English sentences for staff) are not the customer's words."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hutor.accounts.models import BillingAccount
from hutor.documents import views as reconciliation_views
from hutor.ledger import queries as ledger_queries
from hutor.panel.views.common import customer_required

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@customer_required
def balance_history(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    rows = ledger_queries.statement(account).reverse()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for posting in page.object_list:
        posting.credit = posting.amount if posting.amount > 0 else None
        posting.debit = -posting.amount if posting.amount < 0 else None
    return render(
        request,
        "panel/balance.html",
        {"page": page, "account": account, "balance": ledger_queries.balance(account)},
    )


@customer_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """The customer's reconciliation statement (акт сверки) for a period they choose, on the
    page and as a PDF, in the panel's language."""
    account = request.account  # type: ignore[attr-defined]

    def page(context: dict, status: int) -> HttpResponse:
        return render(request, "panel/reconciliation.html", context, status=status)

    language = (translation.get_language() or "ru")[:2]
    return reconciliation_views.respond(request, account, language=language, page=page)


@customer_required
def closing_documents(request: HttpRequest) -> HttpResponse:
    """The customer's monthly acts / УПД (and invoices-factura where the provider charges
    VAT), and the advance invoices-factura of their prepayments, with their PDFs."""
    from hutor.documents import advance_pdf, closing_pdf, queries

    account = request.account  # type: ignore[attr-defined]
    language = (translation.get_language() or "ru")[:2]
    rows = [
        {
            "document": document,
            "heading": closing_pdf.title(document, language),
            "with_factura": closing_pdf.has_invoice_factura(document),
        }
        for document in queries.of_account(account.pk)
    ]
    advances = [
        {"invoice": invoice, "heading": advance_pdf.title(invoice, language)}
        for invoice in queries.advances_of_account(account.pk)
    ]
    return render(
        request,
        "panel/closing_documents.html",
        {"account": account, "rows": rows, "advances": advances},
    )


@customer_required
def closing_document_pdf(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    language = (translation.get_language() or "ru")[:2]
    return reconciliation_views.closing_pdf_response(account, pk, form, language=language)


@customer_required
def closing_document_xml(request: HttpRequest, pk: int) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    return reconciliation_views.closing_xml_response(account, pk)


@customer_required
def advance_invoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    return reconciliation_views.advance_xml_response(account, pk)


@customer_required
def advance_invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    language = (translation.get_language() or "ru")[:2]
    return reconciliation_views.advance_pdf_response(account, pk, language=language)


@dataclass(frozen=True)
class Row:
    when: dt.datetime  # local time of the provider, naive (spreadsheets have no time zones)
    kind: str
    reference: str
    credit: Decimal | None
    debit: Decimal | None
    balance: Decimal
    currency: str


def _headers() -> list[str]:
    return [
        _("Date"),
        _("Operation"),
        _("Number"),
        _("Credit"),
        _("Debit"),
        _("Balance"),
        _("Currency"),
    ]


def _csv_text(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a bank reference is the payer's
    words)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _rows(account: BillingAccount) -> Iterator[Row]:
    for posting in ledger_queries.statement(account).iterator(chunk_size=2000):
        entry = posting.entry
        yield Row(
            when=timezone.localtime(entry.created_at).replace(tzinfo=None, second=0, microsecond=0),
            kind=str(entry.get_kind_display()),
            reference=entry.reference,
            credit=posting.amount if posting.amount > 0 else None,
            debit=-posting.amount if posting.amount < 0 else None,
            balance=posting.running_balance,  # type: ignore[attr-defined]
            currency=posting.currency,
        )


@customer_required
def balance_csv(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    russian = translation.get_language() != "en"
    point = "," if russian else "."

    def amount(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}".replace(".", point)

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="balance-{account.number}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the UTF-8 as UTF-8
    writer = csv.writer(response, delimiter=";" if russian else ",")
    writer.writerow(_headers())
    date_format = "%d.%m.%Y %H:%M" if russian else "%Y-%m-%d %H:%M"
    for row in _rows(account):
        writer.writerow(
            [
                row.when.strftime(date_format),
                _csv_text(row.kind),
                _csv_text(row.reference),
                amount(row.credit),
                amount(row.debit),
                amount(row.balance),
                row.currency,
            ]
        )
    return response


@customer_required
def balance_xlsx(request: HttpRequest) -> HttpResponse:
    """The same rows as a workbook: dates and amounts are cells of those types (amounts exact,
    from Decimal), so any spreadsheet shows and sums them in its own locale."""
    from openpyxl import Workbook  # only this download needs it
    from openpyxl.cell import WriteOnlyCell

    account = request.account  # type: ignore[attr-defined]
    russian = translation.get_language() != "en"
    date_format = "DD.MM.YYYY HH:MM" if russian else "YYYY-MM-DD HH:MM"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Balance history")[:31])

    def cell(value: object, number_format: str = "") -> WriteOnlyCell:
        result = WriteOnlyCell(sheet, value=value)
        if number_format:
            result.number_format = number_format
        if isinstance(value, str):
            result.data_type = "s"  # text, never a formula (openpyxl takes "=..." for one)
        return result

    sheet.append(_headers())
    for row in _rows(account):
        sheet.append(
            [
                cell(row.when, date_format),
                cell(row.kind),
                cell(row.reference),
                cell(row.credit, "0.00"),
                cell(row.debit, "0.00"),
                cell(row.balance, "0.00"),
                row.currency,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="balance-{account.number}.xlsx"'
    return response
