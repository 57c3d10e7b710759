"""The advance invoice-factura (счёт-фактура на аванс) as a PDF (WeasyPrint), in Russian or
English, in the form of Government Decree No. 1137 with what its rules ask of a prepayment:
line 5 names the payment document, line 5а and the consignor / consignee are dashes, the goods
column says it is a prepayment, columns 1б–6 and 10–11 are dashes, column 7 states the
calculated rate (22/122), columns 8 and 9 the tax and the prepayment. Rendered only from what
the document froze when it was issued."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from hutor.documents.calculations import rate_fraction
from hutor.documents.models import AdvanceInvoice


def _date(day: Any) -> str:
    return formats.date_format(day, "d.m.Y")


def title(invoice: AdvanceInvoice, language: str) -> str:
    """«Счёт-фактура на аванс № А-3 от 02.03.2026» in the reader's language."""
    with translation.override(language):
        return _("Advance invoice-factura № %(number)s of %(date)s") % {
            "number": invoice.display_number,
            "date": _date(invoice.issued_on),
        }


def description(invoice: AdvanceInvoice, language: str) -> str:
    """Column 1: what the prepayment is for, under which contract."""
    with translation.override(language):
        text = _("Prepayment for services")
        if invoice.offer_number and invoice.offer_date:
            text += ", " + _("public offer contract № %(number)s of %(date)s") % {
                "number": invoice.offer_number,
                "date": _date(invoice.offer_date),
            }
        return (
            text
            + ", "
            + _("billing account № %(number)s") % {"number": invoice.payer.get("number", "")}
        )


def heading(invoice: AdvanceInvoice, language: str) -> str:
    """The form's own title, «Счёт-фактура № А-3 от 02.03.2026» (the form has no other for a
    prepayment; the «А» series and column 1 say what it is)."""
    with translation.override(language):
        return _("Invoice-factura № %(number)s of %(date)s") % {
            "number": invoice.display_number,
            "date": _date(invoice.issued_on),
        }


def context(invoice: AdvanceInvoice, language: str) -> dict[str, Any]:
    return {
        "invoice": invoice,
        "title": heading(invoice, language),
        "description": description(invoice, language),
        "provider": invoice.provider,
        "payer": invoice.payer,
        "rate": rate_fraction(invoice.vat_rate),
        "payment_date": _date(invoice.payment_date),
        "language": language,
    }


def render_html(invoice: AdvanceInvoice, language: str) -> str:
    with translation.override(language):
        return render_to_string("documents/advance_invoice.html", context(invoice, language))


def render_pdf(invoice: AdvanceInvoice, language: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    return bytes(HTML(string=render_html(invoice, language)).write_pdf())


def pdf_filename(invoice: AdvanceInvoice) -> str:
    return f"advance-invoice-factura-{invoice.year}-{invoice.number}.pdf"
