"""The act / УПД and their corrections as a page and a PDF (WeasyPrint), in Russian or English,
rendered only from what the document froze when it was issued. A УПД is drawn in the unified
form of the FNS letter ММВ-20-3/96@: status 1 (invoice-factura and act in one) or 2 (act only)
in its left box, the invoice-factura's lines (1)–(8) and columns, and the transfer block; a
УПД's correction in the УКД form of the letter ММВ-20-15/86@ (ukd_context)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from hutor.core.money import Money
from hutor.core.words import amount_in_words_en, amount_in_words_ru
from hutor.documents.models import ClosingDocument, ClosingKind


def _date(day: Any) -> str:
    return formats.date_format(day, "d.m.Y")


def title(document: ClosingDocument, language: str) -> str:
    """«Акт № 1 от 28.02.2026», «Корректировочный акт № 3 от 05.03.2026 к акту № 1 от …»."""
    with translation.override(language):
        values = {"number": document.number, "date": _date(document.issued_on)}
        upd = document.kind == ClosingKind.UPD
        if document.corrects is None:
            text = (
                _("Universal transfer document № %(number)s of %(date)s")
                if upd
                else _("Act № %(number)s of %(date)s")
            ) % values
            return text
        original = document.corrects
        values |= {"original": original.number, "original_date": _date(original.issued_on)}
        return (
            _(
                "Correction document № %(number)s of %(date)s to the universal transfer "
                "document № %(original)s of %(original_date)s"
            )
            if upd
            else _(
                "Correction act № %(number)s of %(date)s to the act № %(original)s of "
                "%(original_date)s"
            )
        ) % values


def vat_text(rate: Decimal | None, amount: Decimal | None, language: str) -> str:
    with translation.override(language):
        if rate is None:
            return _("No VAT")
        return _("Including VAT %(rate)s%%: %(amount)s") % {
            "rate": f"{rate.normalize():f}",
            "amount": formats.number_format(amount or 0, 2, use_l10n=True, force_grouping=True),
        }


def context(document: ClosingDocument, language: str) -> dict[str, Any]:
    total = Money(document.total, document.currency)
    with translation.override(language):
        words = ""
        if document.currency == "RUB":
            words = amount_in_words_ru(total) if language == "ru" else amount_in_words_en(total)
        difference = None
        if document.total_before is not None:
            difference = document.total - document.total_before
        lines = list(document.lines.all())
        return {
            "document": document,
            "title": title(document, language),
            "provider": document.provider,
            "payer": document.payer,
            "lines": lines,
            "vat": vat_text(document.vat_rate, document.vat_amount, language),
            "vat_before": (
                vat_text(document.vat_rate, document.vat_before, language)
                if document.total_before is not None
                else ""
            ),
            "difference": difference,
            "words": words,
            "is_upd": document.kind == ClosingKind.UPD,
            "upd_status": upd_status_text(document, language),
            "language": language,
        }


def upd_status_text(document: ClosingDocument, language: str) -> str:
    """What the УПД's status box says (empty for an act)."""
    with translation.override(language):
        if document.upd_status == 1:
            return _("Status: 1 (invoice-factura and transfer document)")
        if document.upd_status == 2:
            return _("Status: 2 (transfer document only, no invoice-factura)")
        return ""


def render_html(document: ClosingDocument, language: str, *, standalone: bool = True) -> str:
    with translation.override(language):
        if document.kind == ClosingKind.UPD and document.corrects_id is None:
            return render_to_string("documents/upd.html", upd_context(document, language))
        if document.kind == ClosingKind.UPD:
            return render_to_string("documents/ukd.html", ukd_context(document, language))
        return render_to_string(
            "documents/closing.html", {**context(document, language), "standalone": standalone}
        )


def upd_context(document: ClosingDocument, language: str) -> dict[str, Any]:
    """The unified form: the invoice-factura's figures (without tax, rate, tax, with tax;
    «без НДС» in status 2) and the act's parties and basis."""
    factura = invoice_factura_context(document, language)
    with translation.override(language):
        factura["rate"] = factura["rate"] or _("no VAT")
        factura["title"] = _("Invoice-factura № %(number)s of %(date)s") % {
            "number": document.number,
            "date": _date(document.issued_on),
        }
    return {
        **factura,
        "upd_status": document.upd_status,
        "basis_offer": document.offer_number,
        "standalone": True,
    }


def render_pdf(document: ClosingDocument, language: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    return bytes(HTML(string=render_html(document, language)).write_pdf())


def pdf_filename(document: ClosingDocument) -> str:
    kind = "upd" if document.kind == ClosingKind.UPD else "act"
    return f"{kind}-{document.year}-{document.number}.pdf"


def has_invoice_factura(document: ClosingDocument) -> bool:
    """An invoice-factura goes with an act where the provider charged VAT (the general regime
    or the simplified one at 5 / 7 %), and a correction invoice-factura with a correction act
    of one; not with a УПД (of status 1 it is the invoice-factura itself, of status 2 the
    provider charged none)."""
    return document.has_invoice_factura


def invoice_factura_context(document: ClosingDocument, language: str) -> dict[str, Any]:
    rows = []
    for line in document.lines.all():
        vat = line.vat_amount or Decimal(0)
        rows.append({"line": line, "without_vat": line.amount - vat, "vat": vat})
    with translation.override(language):
        heading = _("Invoice-factura № %(number)s of %(date)s") % {
            "number": document.number,
            "date": _date(document.issued_on),
        }
    return {
        "document": document,
        "title": heading,
        "act_title": title(document, language),
        "provider": document.provider,
        "payer": document.payer,
        "rows": rows,
        "total_without_vat": document.total - (document.vat_amount or Decimal(0)),
        "rate": f"{document.vat_rate.normalize():f}%" if document.vat_rate is not None else "",
        "language": language,
    }


def correction_factura_context(document: ClosingDocument, language: str) -> dict[str, Any]:
    """The correction invoice-factura (Decree No. 1137, Appendix 2) of a correction act: under
    the correction's number and date, referring to the original act's invoice-factura; for
    each line that changed, rows А (before), Б (after), В (increase) or Г (decrease) of the
    value without tax (col. 5), the tax (col. 8) and the value with tax (col. 9), all at the
    original's rate; the totals of the increases and of the decreases."""
    zero = Decimal(0)
    rows = []
    up = {"without": zero, "vat": zero, "amount": zero}
    down = {"without": zero, "vat": zero, "amount": zero}
    for line in document.lines.all():
        before_amount = line.amount_before or zero
        before_vat = line.vat_before or zero
        after_vat = line.vat_amount or zero
        difference = {
            "without": (line.amount - after_vat) - (before_amount - before_vat),
            "vat": after_vat - before_vat,
            "amount": line.amount - before_amount,
        }
        if difference["amount"] == 0 and difference["vat"] == 0:
            continue
        totals = up if difference["amount"] > 0 else down
        for key, value in difference.items():
            totals[key] += abs(value)
        rows.append(
            {
                "line": line,
                "before": {
                    "without": before_amount - before_vat,
                    "vat": before_vat,
                    "amount": before_amount,
                },
                "after": {
                    "without": line.amount - after_vat,
                    "vat": after_vat,
                    "amount": line.amount,
                },
                "increase": difference["amount"] > 0,
                "difference": {key: abs(value) for key, value in difference.items()},
            }
        )
    original = document.corrects
    assert original is not None
    with translation.override(language):
        heading = _("Correction invoice-factura № %(number)s of %(date)s") % {
            "number": document.number,
            "date": _date(document.issued_on),
        }
        reference = _("to the invoice-factura № %(number)s of %(date)s") % {
            "number": original.number,
            "date": _date(original.issued_on),
        }
    return {
        "document": document,
        "title": heading,
        "reference": reference,
        "provider": document.provider,
        "payer": document.payer,
        "rows": rows,
        "up": up,
        "down": down,
        "rate": f"{document.vat_rate.normalize():f}%" if document.vat_rate is not None else "",
        "language": language,
    }


def ukd_context(document: ClosingDocument, language: str) -> dict[str, Any]:
    """The УКД (a УПД's correction in the unified form recommended by the FNS letter
    ММВ-20-15/86@): the correction invoice-factura's figures (rows А, Б, В, Г at the original's
    rate) in the frame of a status box, 1 (the correction invoice-factura and the document on
    the change of value in one) where the original carried VAT, 2 (the document on the change
    of value only; «без НДС» in columns 7 and 8) where not."""
    context = correction_factura_context(document, language)
    original = document.corrects
    assert original is not None
    with translation.override(language):
        if document.vat_rate is None:
            context["rate"] = _("no VAT")
        context["title"] = _("Correction invoice-factura № %(number)s of %(date)s") % {
            "number": document.number,
            "date": _date(document.issued_on),
        }
        context["original_title"] = title(original, language)
    return {
        **context,
        "ukd_status": 1 if document.vat_rate is not None else 2,
        "no_vat": document.vat_rate is None,
    }


def render_invoice_factura_pdf(document: ClosingDocument, language: str) -> bytes:
    """The invoice-factura of an act, or the correction invoice-factura of a correction act."""
    from weasyprint import HTML

    with translation.override(language):
        if document.corrects_id is not None:
            html = render_to_string(
                "documents/correction_invoice_factura.html",
                correction_factura_context(document, language),
            )
        else:
            html = render_to_string(
                "documents/invoice_factura.html",
                {**invoice_factura_context(document, language), "standalone": True},
            )
    return bytes(HTML(string=html).write_pdf())
