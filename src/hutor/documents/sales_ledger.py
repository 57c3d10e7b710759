"""The sales ledger (книга продаж, Government Decree No. 1137, Appendix 5) of one provider company
for one quarter, built from the invoices-factura Hutor issued: nothing is stored, the documents
are frozen, so a quarter always gives the same ledger.

What enters, in the order of the invoices-factura's dates (then their numbers):

- **code 01** (a sale): the invoice-factura of each act carrying VAT (it bears the act's number
  and date) and each УПД of status 1 (it is the invoice-factura itself), dated in the quarter;
- **code 02** (a prepayment received): each advance invoice-factura («А-12») dated in the
  quarter, its prepayment in column 13б and its tax (at the calculated rate 22/122) in the
  rate's tax column, the value without tax left empty, the payment document in column 11;
- **code 01 with column 5** (a correction invoice-factura or УКД raising the value): the
  increase of each correction dated in the quarter, under the original's number and date
  (column 3) and the correction's (column 5). A decrease is the seller's deduction and goes to
  the purchase ledger (code 18), as does the deduction of an advance's tax once the services
  are rendered (code 22): neither is in this ledger, and Hutor keeps no purchase ledger
  (docs/documents-and-taxes.md, «The sales ledger»).

Documents without VAT (the simplified regime, «Без НДС») have no invoice-factura and do not
enter. Amounts are the documents' frozen figures, Decimal only, never recomputed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hutor.core.models import Provider
from hutor.documents.calculations import MonthError
from hutor.documents.models import AdvanceInvoice, ClosingDocument, ClosingKind

_QUARTER = re.compile(r"^(\d{4})\s*[-]?\s*[QqКк]([1-4])$")

SALE = "01"  # отгрузка (передача) товаров, выполнение работ, оказание услуг
ADVANCE = "02"  # оплата, частичная оплата в счёт предстоящих поставок (оказания услуг)


class QuarterError(MonthError):
    """A quarter that cannot be read, with the reason in the reader's language."""


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        if self.number == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.number + 1, 1) - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def parse_quarter(text: str) -> Quarter:
    """The quarter written 2026Q1 (or 2026-Q1); QuarterError otherwise."""
    match = _QUARTER.match((text or "").strip())
    if not match:
        raise QuarterError(_("Write the quarter as YYYYQN, for example 2026Q1."))
    return Quarter(int(match.group(1)), int(match.group(2)))


def find_company(text: str | None) -> Provider:
    """The provider company named by its number in Hutor (pk) or its INN; the default company
    when none is named. QuarterError when there is no such company."""
    companies = Provider.objects.order_by("pk")
    if not text:
        found = companies.filter(is_default=True).first() or companies.first()
    else:
        text = text.strip()
        found = companies.filter(inn=text).first()
        if found is None and text.isdigit() and len(text) < 10:
            found = companies.filter(pk=int(text)).first()
    if found is None:
        raise QuarterError(_("No provider company %(company)s.") % {"company": text or ""})
    return found


@dataclass
class Row:
    """One line of the ledger: an invoice-factura (or a correction's increase)."""

    code: str
    number: str  # column 3: the invoice-factura's number and date
    date: dt.date
    buyer: str  # column 7
    buyer_inn_kpp: str  # column 8
    total: Decimal  # column 13б (13а in a foreign currency)
    rate: Decimal
    vat: Decimal
    without_vat: Decimal | None  # None for a prepayment: columns 14–16 are not filled
    currency: str = "RUB"
    correction_number: str = ""  # column 5: the correction's number and date
    correction_date: dt.date | None = None
    payment_document: str = ""  # column 11: a prepayment's payment document, number and date
    payment_date: dt.date | None = None
    position: int = 0  # column 1


@dataclass
class Ledger:
    company: Provider
    quarter: Quarter
    rows: list[Row] = field(default_factory=list)

    @property
    def rates(self) -> list[Decimal]:
        """The rates the quarter's rows carry, highest first (22 when there are none): one pair
        of columns (value without tax, tax) each."""
        found = sorted({row.rate for row in self.rows}, reverse=True)
        return found or [Decimal(22)]

    def totals(self) -> dict[str, Any]:
        """The «Всего» line: column 13б, and per rate the value without tax and the tax."""
        zero = Decimal(0)
        return {
            "total": sum((r.total for r in self.rows if r.currency == "RUB"), zero),
            "without": {
                rate: sum(
                    (r.without_vat or zero for r in self.rows if r.rate == rate),
                    zero,
                )
                for rate in self.rates
            },
            "vat": {
                rate: sum((r.vat for r in self.rows if r.rate == rate), zero) for rate in self.rates
            },
        }


def _inn_kpp(payer: dict[str, Any]) -> str:
    inn, kpp = payer.get("inn") or "", payer.get("kpp") or ""
    return f"{inn}/{kpp}" if kpp else inn


def _issued_with_vat(company: Provider, quarter: Quarter) -> Any:
    return (
        ClosingDocument.objects.filter(
            company=company,
            issued_on__gte=quarter.first_day,
            issued_on__lte=quarter.last_day,
            vat_rate__isnull=False,
        )
        .select_related("corrects")
        .prefetch_related("lines")
        .order_by("issued_on", "year", "number")
    )


def _sale(document: ClosingDocument, amount: Decimal, vat: Decimal) -> Row:
    """A code 01 row: an original's invoice-factura, or a correction's increase under its
    original's number and date with its own in column 5."""
    assert document.vat_rate is not None
    original = document.corrects or document
    corrected = document.corrects is not None
    return Row(
        code=SALE,
        number=str(original.number),
        date=original.issued_on,
        buyer=document.payer.get("name", ""),
        buyer_inn_kpp=_inn_kpp(document.payer),
        total=amount,
        rate=document.vat_rate,
        vat=vat,
        without_vat=amount - vat,
        currency=document.currency,
        correction_number=str(document.number) if corrected else "",
        correction_date=document.issued_on if corrected else None,
    )


def _increase(document: ClosingDocument) -> Row | None:
    """The increase a correction makes (its lines' rows В), or None when it only decreases."""
    amount = vat = Decimal(0)
    for line in document.lines.all():
        before = line.amount_before or Decimal(0)
        if line.amount > before:
            amount += line.amount - before
            vat += (line.vat_amount or Decimal(0)) - (line.vat_before or Decimal(0))
    return _sale(document, amount, vat) if amount > 0 else None


def _advance(invoice: AdvanceInvoice) -> Row:
    return Row(
        code=ADVANCE,
        number=invoice.display_number,
        date=invoice.issued_on,
        buyer=invoice.payer.get("name", ""),
        buyer_inn_kpp=_inn_kpp(invoice.payer),
        total=invoice.amount,
        rate=invoice.vat_rate,
        vat=invoice.vat_amount,
        without_vat=None,
        currency=invoice.currency,
        payment_document=invoice.payment_document,
        payment_date=invoice.payment_date,
    )


def build(company: Provider, quarter: Quarter) -> Ledger:
    """The company's sales ledger for the quarter (see the module's docstring)."""
    rows: list[tuple[dt.date, int, int, Row]] = []
    for document in _issued_with_vat(company, quarter):
        is_invoice_factura = document.kind == ClosingKind.ACT or document.upd_status == 1
        if not is_invoice_factura:
            continue
        if document.corrects_id is None:
            sale = _sale(document, document.total, document.vat_amount or Decimal(0))
            rows.append((document.issued_on, 1, document.number, sale))
        else:
            row = _increase(document)
            if row is not None:
                rows.append((document.issued_on, 1, document.number, row))
    advances = AdvanceInvoice.objects.filter(
        company=company,
        issued_on__gte=quarter.first_day,
        issued_on__lte=quarter.last_day,
    ).order_by("issued_on", "year", "number")
    for invoice in advances:
        rows.append((invoice.issued_on, 0, invoice.number, _advance(invoice)))
    rows.sort(key=lambda item: item[:3])
    ledger = Ledger(company=company, quarter=quarter, rows=[row for *_, row in rows])
    for position, row in enumerate(ledger.rows, start=1):
        row.position = position
    return ledger


# Presenting it: the columns of the form, in the reader's language (page, CSV, PDF alike).


def _date(day: dt.date | None) -> str:
    return formats.date_format(day, "d.m.Y") if day else ""


def _number_and_date(number: str, day: dt.date | None) -> str:
    return f"{number}, {_date(day)}" if number else ""


def _amount(value: Decimal | None, localized: bool = False) -> str:
    """1234.56 in CSV; in the reader's format on a page or PDF («1 234,56», «1,234.56»)."""
    if value is None:
        return ""
    if localized:
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    return f"{value:.2f}"


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def columns(ledger: Ledger, language: str) -> list[tuple[str, str]]:
    """(column number, heading) of the form, the rates' pairs after column 13б."""
    with translation.override(language):
        fixed = [
            ("1", _("No.")),
            ("2", _("Operation kind code")),
            ("3", _("Number and date of the seller's invoice-factura")),
            ("4", _("Number and date of its correction")),
            ("5", _("Number and date of the seller's correction invoice-factura")),
            ("6", _("Number and date of the correction invoice-factura's correction")),
            ("7", _("Buyer")),
            ("8", _("Buyer's INN/KPP")),
            ("9", _("Intermediary")),
            ("10", _("Intermediary's INN/KPP")),
            ("11", _("Number and date of the payment document")),
            ("12", _("Currency: name and code")),
            ("13а", _("Sales in the invoice-factura's currency, including VAT")),
            ("13б", _("Sales in roubles and kopecks, including VAT")),
        ]
        for rate in ledger.rates:
            fixed.append(("", _("Sales taxed at %(rate)s%%, without VAT") % {"rate": _rate(rate)}))
        for rate in ledger.rates:
            fixed.append(("", _("VAT at %(rate)s%%") % {"rate": _rate(rate)}))
        return fixed


def cells(ledger: Ledger, row: Row, *, localized: bool = False) -> list[str]:
    """One row's cells in the order of `columns` (amounts as 1234.56, or in the reader's
    format with `localized`; dates dd.mm.yyyy)."""

    def shown(value: Decimal | None) -> str:
        return _amount(value, localized)

    foreign = row.currency != "RUB"
    values = [
        str(row.position),
        row.code,
        _number_and_date(row.number, row.date),
        "",
        _number_and_date(row.correction_number, row.correction_date),
        "",
        row.buyer,
        row.buyer_inn_kpp,
        "",
        "",
        _number_and_date(row.payment_document, row.payment_date),
        row.currency if foreign else "",
        shown(row.total) if foreign else "",
        "" if foreign else shown(row.total),
    ]
    values += [shown(row.without_vat) if rate == row.rate else "" for rate in ledger.rates]
    values += [shown(row.vat) if rate == row.rate else "" for rate in ledger.rates]
    return values


def total_cells(ledger: Ledger, language: str, *, localized: bool = False) -> list[str]:
    totals = ledger.totals()
    with translation.override(language):
        head = [pgettext("sales ledger", "Total")] + [""] * 12
        return (
            head
            + [_amount(totals["total"], localized)]
            + [_amount(totals["without"][rate], localized) for rate in ledger.rates]
            + [_amount(totals["vat"][rate], localized) for rate in ledger.rates]
        )


def title(ledger: Ledger, language: str) -> str:
    with translation.override(language):
        return _("Sales ledger of %(company)s for quarter %(quarter)s of %(year)s") % {
            "company": ledger.company.short_name or ledger.company.legal_name,
            "quarter": ledger.quarter.number,
            "year": ledger.quarter.year,
        }


def render_csv(ledger: Ledger, language: str) -> str:
    """The ledger as CSV (a UTF-8 byte order mark first, for spreadsheet programs): a heading
    row with the form's column numbers and names, the rows, the total."""
    import csv
    import io

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [f"{number}. {name}" if number else name for number, name in columns(ledger, language)]
    )
    for row in ledger.rows:
        writer.writerow(cells(ledger, row))
    writer.writerow(total_cells(ledger, language))
    return out.getvalue()


def context(ledger: Ledger, language: str) -> dict[str, Any]:
    with translation.override(language):
        return {
            "ledger": ledger,
            "title": title(ledger, language),
            "period": _("from %(start)s to %(end)s")
            % {"start": _date(ledger.quarter.first_day), "end": _date(ledger.quarter.last_day)},
            "columns": columns(ledger, language),
            "rows": [cells(ledger, row, localized=True) for row in ledger.rows],
            "total": total_cells(ledger, language, localized=True),
            "language": language,
        }


def render_html(ledger: Ledger, language: str, *, standalone: bool = True) -> str:
    from django.template.loader import render_to_string

    with translation.override(language):
        return render_to_string(
            "documents/sales_ledger.html", {**context(ledger, language), "standalone": standalone}
        )


def render_pdf(ledger: Ledger, language: str) -> bytes:
    """The ledger in the form's landscape table (WeasyPrint)."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    return bytes(HTML(string=render_html(ledger, language)).write_pdf())


def filename(ledger: Ledger, extension: str) -> str:
    return f"sales-ledger-{ledger.company.inn}-{ledger.quarter}.{extension}"
