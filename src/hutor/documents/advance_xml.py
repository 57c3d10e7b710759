"""An advance invoice-factura (счёт-фактура на аванс) as the FNS XML file: the same format 5.03
and schema as the УПД (documents.upd_xml), function СЧФ with `СпОбстФСЧФ` 2.

Value 2 is the special circumstance the schema's own rules exempt from what a prepayment does
not have: the shipment document (line 5а, `ДокПодтвОтгрНом`), the value without tax
(`СтТовБезНДС`, `СтТовБезНДСВсего`) and the quantity and price; line 5 names the payment
document (`СвПРД`), column 7 the calculated rate (22/122, 20/120, 5/105, 7/107), columns 8 and 9
the tax and the prepayment. Built only from what the invoice froze; checked against the schema
before it is served.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from hutor.documents import advance_pdf
from hutor.documents.upd_xml import (
    UpdFile,
    XmlNotAvailable,
    amount_text,
    assemble,
    date_text,
    heading,
    money,
    party,
    signer,
    tax,
)

if TYPE_CHECKING:
    from hutor.documents.models import AdvanceInvoice

PREPAYMENT = "2"  # СпОбстФСЧФ: the invoice-factura of a prepayment
RATES = {"22/122", "20/120", "10/110", "5/105", "7/107"}


def rate(invoice: AdvanceInvoice) -> str:
    """The calculated rate «22/122» of a rate of 22 %."""
    percent = f"{invoice.vat_rate.normalize():f}"
    text = f"{percent}/{100 + int(invoice.vat_rate)}"
    if text not in RATES:
        raise XmlNotAvailable("rate", rate=text)
    return text


def build(invoice: AdvanceInvoice) -> UpdFile:
    """The advance invoice-factura's XML file, checked against the schema; raises
    XmlNotAvailable."""
    key = f"advance/{invoice.company_id}/{invoice.year}/{invoice.number}"
    return assemble(invoice, key=key, body=_document(invoice))


def _document(invoice: AdvanceInvoice) -> etree._Element:
    provider: dict[str, Any] = invoice.provider
    element, header = heading(
        provider,
        invoice.created_at,
        {"Функция": "СЧФ"},
        number=invoice.display_number,
        issued_on=invoice.issued_on,
    )
    etree.SubElement(
        header,
        "СвПРД",
        НомерПРД=invoice.payment_document[:30],
        ДатаПРД=date_text(invoice.payment_date),
    )
    buyer = etree.SubElement(header, "СвПокуп")
    party(buyer, invoice.payer, "buyer_name", invoice=True)
    money(header, invoice.currency)
    etree.SubElement(header, "ДопСвФХЖ1", СпОбстФСЧФ=PREPAYMENT)
    table = etree.SubElement(element, "ТаблСчФакт")
    line = etree.SubElement(
        table,
        "СведТов",
        НомСтр="1",
        НаимТов=advance_pdf.description(invoice, "ru"),
        НалСт=rate(invoice),
        СтТовУчНал=amount_text(invoice.amount),
    )
    tax(line, "СумНал", invoice.vat_amount, True)
    total = etree.SubElement(table, "ВсегоОпл", СтТовУчНалВсего=amount_text(invoice.amount))
    tax(total, "СумНалВсего", invoice.vat_amount or Decimal(0), True)
    element.append(signer(provider))
    return element
