"""The invoice as a document: HTML (page and email) and PDF, rendered only from the invoice's
own frozen fields, so it looks the same forever."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from hutor.core import payment_qr
from hutor.core.words import amount_in_words_en, amount_in_words_ru
from hutor.invoices.models import Invoice
from hutor.taxes.calculations import label_ru


def purpose(invoice: Invoice) -> str:
    """Purpose of payment, as the payer's bank prints it and our statement import reads it."""
    date = invoice.issue_date.strftime("%d.%m.%Y")
    vat = label_ru(invoice.vat_rate)
    return (
        f"Оплата по счёту № {invoice.number} от {date}, "
        f"биллинг-аккаунт № {invoice.payer['number']}. {vat}"
    )


def qr_payload(invoice: Invoice) -> str:
    provider = invoice.provider
    payer = invoice.payer
    extra: dict[str, str] = {}
    if payer.get("inn"):
        extra["PayerINN"] = payer["inn"]
    if payer.get("kind") == "individual":
        extra.update(payment_qr.person_name_fields(payer.get("name", "")))
    if payer.get("address"):
        extra["PayerAddress"] = payer["address"]
    return payment_qr.payload(
        name=provider["legal_name"],
        personal_account=provider["settlement_account"],
        bank_name=provider["bank_name"],
        bic=provider["bik"],
        correspondent_account=provider["correspondent_account"],
        amount=invoice.total_money,
        purpose=purpose(invoice),
        payee_inn=provider["inn"],
        kpp=provider.get("kpp", ""),
        **extra,
    )


def context(invoice: Invoice) -> dict[str, Any]:
    total = invoice.total_money
    lines = list(invoice.lines.all())
    language = invoice.language
    with translation.override(language):
        date = formats.date_format(invoice.issue_date, "j E Y" if language == "ru" else "j F Y")
        title = _("Invoice No. %(number)s of %(date)s") % {"number": invoice.number, "date": date}
    qr = qr_payload(invoice)
    # The contract frozen at issue (invoices issued before offers were recorded have none).
    contract = invoice.payer.get("contract")
    if contract:
        contract = {"number": contract["number"], "date": dt.date.fromisoformat(contract["date"])}
    # Prices stated without VAT (the company's setting, frozen in the snapshot): the lines
    # show net, VAT and gross; the total due is the gross.
    vat_on_top = (
        invoice.provider.get("prices_include_vat") is False and invoice.vat_rate is not None
    )
    net_total = None
    if vat_on_top:
        for line in lines:
            line.net_amount = line.amount - (line.vat_amount or 0)  # type: ignore[attr-defined]
        net_total = total.amount - (invoice.vat_amount or 0)
    return {
        "invoice": invoice,
        "vat_on_top": vat_on_top,
        "net_total": net_total,
        "contract": contract,
        "title": title,
        "lines": lines,
        "provider": invoice.provider,
        "payer": invoice.payer,
        "total": total,
        # Frozen at issue: the rate in force on the issue date, the sum of the lines' VAT.
        "vat": invoice.vat_money,
        "has_vat": invoice.vat_rate is not None,
        "total_words": amount_in_words_ru(total) if language == "ru" else amount_in_words_en(total),
        "purpose": purpose(invoice),
        "qr_payload": qr,
        "qr_data_uri": payment_qr.png_data_uri(qr, scale=3),
        "language": language,
    }


def render_html(invoice: Invoice, *, standalone: bool = True, qr: bool = True) -> str:
    """The document's HTML; `standalone` adds the page's own <html> around it (for print/PDF);
    `qr=False` leaves out the QR image (emails: mail clients block `data:` images)."""
    with translation.override(invoice.language):
        return render_to_string(
            "invoices/document.html",
            {**context(invoice), "standalone": standalone, "show_qr": qr},
        )


def render_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    return bytes(HTML(string=render_html(invoice)).write_pdf())


def pdf_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number}.pdf"
