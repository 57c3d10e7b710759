"""A УПД, or the invoice-factura of a VAT payer's act, as the FNS XML file: format 5.03 of the
invoice-factura / transfer document, seller's title (Приказ ФНС России от 19.12.2023
№ ЕД-7-26/970@; schema ON_NSCHFDOPPR_1_997_01_05_03_05.xsd, vendored in schemas/ with its source
in the README there).

Built only from what the document froze when it was issued (requisites, lines, tax terms), so
the same document always gives the same file: its GUID is derived from the document, its
formation date and time are the document's issue. Function СЧФДОП (invoice-factura and
transfer document) for a УПД of status 1, ДОП (transfer document only) for status 2, «без НДС»
on its lines; СЧФ (the invoice-factura alone, naming the act as the shipment document) for an
act of a VAT payer. Every file is checked against the schema before it is served; a document
whose requisites the format cannot carry (a signer or a sole proprietor without a full name, a
rate the format does not list) raises XmlNotAvailable with the reason.

Not done here: the qualified electronic signature (a .sig beside the file) and sending through
an EDO operator; the correction document (УКД) has a schema of its own
(docs/documents-and-taxes.md).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lxml import etree

from hutor.documents.models import ClosingKind, EdoParticipant

if TYPE_CHECKING:
    from hutor.documents.models import ClosingDocument

SCHEMA = Path(__file__).parent / "schemas" / "ON_NSCHFDOPPR_1_997_01_05_03_05.xsd"
PREFIX = "ON_NSCHFDOPPR"
ENCODING = "windows-1251"  # the format's encoding (its section I)
FORMAT_VERSION = "5.03"
KND = "1115131"
# The rates the format's НалСт lists that a provider's tax rule can carry (taxes.models).
RATES = {"0%", "5%", "7%", "10%", "20%", "22%"}
NO_VAT = "без НДС"
RUSSIA = "643"  # ОКСМ
# ОКВ (the all-Russian classifier of currencies): code and name of the currencies Hutor bills in.
CURRENCIES = {
    "RUB": ("643", "Российский рубль"),
    "USD": ("840", "Доллар США"),
    "EUR": ("978", "Евро"),
}
# Namespace of the files' GUIDs: uuid5 of the document's company, series and creation time.
GUID_NAMESPACE = uuid.UUID("5b0c8f5e-7d1a-4c53-9f57-0d5e3b6f1a01")
SERVICE = "3"  # ДопСведТов/@ПрТовРаб: 1 goods, 2 work, 3 service, 4 property right, 5 other
TRANSFER_DOCUMENT = (
    "Документ об отгрузке товаров (выполнении работ), передаче имущественных прав "
    "(документ об оказании услуг)"
)
INVOICE_AND_TRANSFER = (
    "Счет-фактура и документ об отгрузке товаров (выполнении работ), передаче имущественных "
    "прав (документ об оказании услуг)"
)
OPERATION = "Услуги оказаны в полном объеме"
OFFER = "Публичная оферта"
ACT = "Акт оказанных услуг"
SOLE_PROPRIETOR_PREFIXES = re.compile(r"^\s*(индивидуальный предприниматель|ип)\s+", re.IGNORECASE)

REASONS = {
    "no_xml": _(
        "Only a universal transfer document or the invoice-factura of an act (not their "
        "corrections) has an XML file."
    ),
    "signer": _(
        "The provider company's director must be set as a full name (surname and first name) "
        "for the XML file: admin, Core > Provider requisites."
    ),
    "seller_name": _("The provider's legal name must be a full name for a sole proprietor."),
    "buyer_name": _(
        "The customer's name must be a full name (surname and first name) for a sole "
        "proprietor's XML file."
    ),
    "address": _("Both parties need an address in the XML file of an invoice-factura."),
    "rate": _("The VAT rate %(rate)s is not one the FNS format lists."),
    "currency": _("The currency %(currency)s has no code here for the FNS format."),
    "invalid": _("The XML file does not pass the FNS schema: %(error)s"),
}


class XmlNotAvailable(Exception):
    """The document has no XML file, or its requisites cannot be written in the format; `code`
    is a key of REASONS, rendered by `message()` in the reader's language."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def message(self) -> str:
        return str(REASONS[self.code]) % self.params if self.params else str(REASONS[self.code])


@dataclass(frozen=True)
class UpdFile:
    name: str  # ИдФайл: the file name without ".xml"
    content: bytes  # windows-1251

    @property
    def filename(self) -> str:
        return f"{self.name}.xml"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def function(document: ClosingDocument) -> str:
    """СЧФДОП for a УПД of status 1 (it is the invoice-factura), ДОП for status 2, СЧФ for
    the invoice-factura of an act."""
    if document.kind != ClosingKind.UPD:
        return "СЧФ"
    return "СЧФДОП" if document.upd_status == 1 else "ДОП"


def participant_ids(company_id: int, billing_account_id: int) -> tuple[str, str]:
    """(recipient, sender): the customer's and the company's EDO identifiers, "" when unset."""
    rows = EdoParticipant.objects.filter(company_id=company_id) | EdoParticipant.objects.filter(
        billing_account_id=billing_account_id
    )
    recipient = sender = ""
    for row in rows:
        if row.company_id == company_id:
            sender = row.participant_id
        else:
            recipient = row.participant_id
    return recipient, sender


def file_name(key: str, created_at: dt.datetime, recipient: str, sender: str) -> str:
    """ON_NSCHFDOPPR_<recipient>_<sender>_<YYYYMMDD>_<GUID>: the day the file was formed
    (the document's issue) and a GUID derived from `key` and the creation time, so it stays
    the same for the document."""
    created = timezone.localtime(created_at)
    guid = uuid.uuid5(GUID_NAMESPACE, f"{key}/{created_at.isoformat()}")
    return f"{PREFIX}_{recipient}_{sender}_{created:%Y%m%d}_{guid}"


def serialize(root: etree._Element) -> bytes:
    """The file's bytes in the format's encoding, checked against the schema."""
    content = etree.tostring(root, xml_declaration=True, encoding=ENCODING)
    check(content)
    return content


def build(document: ClosingDocument) -> UpdFile:
    """The УПД's XML file, checked against the schema; raises XmlNotAvailable."""
    if not document.has_fns_xml:
        raise XmlNotAvailable("no_xml")
    return assemble(
        document,
        key=f"{document.company_id}/{document.year}/{document.number}",
        body=_document(document),
    )


def assemble(issued: Any, *, key: str, body: etree._Element) -> UpdFile:
    """The file of a document issued by a company to a billing account (a closing document or
    an advance invoice-factura): its name, `Файл` around `body`, checked bytes."""
    recipient, sender = participant_ids(issued.company_id, issued.billing_account_id)
    name = file_name(key, issued.created_at, recipient, sender)
    root = etree.Element(
        "Файл", ИдФайл=name, ВерсФорм=FORMAT_VERSION, ВерсПрог="Hutor " + _version()
    )
    root.append(body)
    return UpdFile(name=name, content=serialize(root))


def check(content: bytes) -> None:
    """Raise XmlNotAvailable("invalid") unless `content` passes the vendored schema."""
    parsed = etree.fromstring(content)
    if not schema().validate(parsed):
        error = schema().error_log.last_error
        raise XmlNotAvailable("invalid", error=str(error.message if error else ""))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hutor")
    except PackageNotFoundError:  # a checkout not installed
        return "dev"


def date_text(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def amount_text(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def _rate(document: ClosingDocument) -> str:
    if document.vat_rate is None:
        return NO_VAT
    rate = f"{document.vat_rate.normalize():f}".replace(".", ",") + "%"
    if rate not in RATES:
        raise XmlNotAvailable("rate", rate=rate)
    return rate


def tax(parent: etree._Element, tag: str, amount: Decimal | None, with_vat: bool) -> None:
    """A СумНДСТип element: the tax or «без НДС»."""
    element = etree.SubElement(parent, tag)
    if with_vat:
        etree.SubElement(element, "СумНал").text = amount_text(amount or Decimal(0))
    else:
        etree.SubElement(element, "БезНДС").text = NO_VAT


def _document(document: ClosingDocument) -> etree._Element:
    function_ = function(document)
    provider: dict[str, Any] = document.provider
    names = {}
    if function_ != "СЧФ":  # the names of a transfer document (the format's rules)
        names = {
            "ПоФактХЖ": TRANSFER_DOCUMENT,
            "НаимДокОпр": INVOICE_AND_TRANSFER if function_ == "СЧФДОП" else TRANSFER_DOCUMENT,
        }
    element, invoice = heading(
        provider,
        document.created_at,
        {"Функция": function_, **names},
        number=str(document.number),
        issued_on=document.issued_on,
    )
    invoice_too = function_ in ("СЧФ", "СЧФДОП")
    if function_ == "СЧФ":  # line 5а: the act the services were handed over by
        etree.SubElement(
            invoice,
            "ДокПодтвОтгрНом",
            РеквНаимДок=ACT,
            РеквНомерДок=str(document.number),
            РеквДатаДок=date_text(document.issued_on),
        )
    buyer = etree.SubElement(invoice, "СвПокуп")
    party(buyer, document.payer, "buyer_name", invoice=invoice_too)
    money(invoice, document.currency)
    element.append(_table(document))
    if function_ != "СЧФ":
        element.append(_transfer(document))
    element.append(signer(provider))
    return element


def heading(
    provider: dict[str, Any],
    created_at: dt.datetime,
    attributes: dict[str, str],
    *,
    number: str,
    issued_on: dt.date,
) -> tuple[etree._Element, etree._Element]:
    """`Документ` (formed at `created_at`, with `attributes`: the function and names) and its
    `СвСчФакт` with the number, date and the seller (`СвПрод`: requisites, address, bank)."""
    created = timezone.localtime(created_at)
    element = etree.Element(
        "Документ",
        {"КНД": KND, **attributes},
        ДатаИнфПр=date_text(created.date()),
        ВремИнфПр=created.strftime("%H.%M.%S"),
        НаимЭконСубСост=provider["legal_name"],
    )
    invoice = etree.SubElement(element, "СвСчФакт", НомерДок=number, ДатаДок=date_text(issued_on))
    seller = etree.SubElement(invoice, "СвПрод")
    invoice_too = attributes["Функция"] in ("СЧФ", "СЧФДОП")
    party(seller, seller_requisites(provider), "seller_name", invoice=invoice_too)
    bank(seller, provider)
    return element, invoice


def money(invoice: etree._Element, currency: str) -> None:
    """ДенИзм: the currency by its ОКВ code and name (line 7)."""
    if currency not in CURRENCIES:
        raise XmlNotAvailable("currency", currency=currency)
    code, name = CURRENCIES[currency]
    etree.SubElement(invoice, "ДенИзм", КодОКВ=code, НаимОКВ=name)


def seller_requisites(provider: dict[str, Any]) -> dict[str, Any]:
    """The frozen provider requisites in the payer snapshot's shape."""
    kind = "sole_proprietor" if len(provider.get("inn") or "") == 12 else "company"
    return {
        "kind": kind,
        "name": provider.get("legal_name", ""),
        "inn": provider.get("inn", ""),
        "kpp": provider.get("kpp", ""),
        "ogrn": provider.get("ogrn", ""),
        "address": provider.get("address", ""),
    }


def full_name(text: str) -> tuple[str, str, str] | None:
    """(surname, first name, patronymic or "") from «Иванов Иван Иванович» or «ИП Иванов
    Иван»; None when there are not two words."""
    words = SOLE_PROPRIETOR_PREFIXES.sub("", text or "").split()
    if len(words) < 2 or any(len(word) > 60 for word in words[:2]):
        return None
    return words[0], words[1], " ".join(words[2:])[:60]


def _fio(parent: etree._Element, name: tuple[str, str, str]) -> None:
    last, first, middle = name
    attributes = {"Фамилия": last, "Имя": first}
    if middle:
        attributes["Отчество"] = middle
    etree.SubElement(parent, "ФИО", attributes)


def party(
    parent: etree._Element, requisites: dict[str, Any], name_reason: str, *, invoice: bool
) -> None:
    """УчастникТип: ИдСв (a company or a sole proprietor) and the address, which the
    format's rules require of both parties of an invoice-factura (`invoice`: СЧФДОП)."""
    ident = etree.SubElement(parent, "ИдСв")
    if requisites.get("kind") == "sole_proprietor":
        name = full_name(requisites.get("name", ""))
        if name is None:
            raise XmlNotAvailable(name_reason)
        person = etree.SubElement(ident, "СвИП", ИННФЛ=requisites.get("inn") or "")
        ogrn = requisites.get("ogrn") or ""
        if len(ogrn) == 15:
            person.set("ОГРНИП", ogrn)
        _fio(person, name)
    else:
        company = etree.SubElement(
            ident, "СвЮЛУч", НаимОрг=requisites.get("name") or "", ИННЮЛ=requisites.get("inn") or ""
        )
        if requisites.get("kpp"):
            company.set("КПП", requisites["kpp"])
    address = (requisites.get("address") or "").strip()
    if not address:
        if invoice:
            raise XmlNotAvailable("address")
        return
    etree.SubElement(
        etree.SubElement(parent, "Адрес"),
        "АдрИнф",
        КодСтр=RUSSIA,
        НаимСтран="РОССИЯ",
        АдрТекст=address[:1000],
    )


def bank(parent: etree._Element, provider: dict[str, Any]) -> None:
    if not provider.get("settlement_account"):
        return
    bank = etree.SubElement(parent, "БанкРекв", НомерСчета=provider["settlement_account"])
    details = {
        "НаимБанк": provider.get("bank_name") or "",
        "БИК": provider.get("bik") or "",
        "КорСчет": provider.get("correspondent_account") or "",
    }
    etree.SubElement(bank, "СвБанк", {key: value for key, value in details.items() if value})


def _table(document: ClosingDocument) -> etree._Element:
    with_vat = document.vat_rate is not None
    rate = _rate(document)
    table = etree.Element("ТаблСчФакт")
    for line in document.lines.all():
        vat = line.vat_amount or Decimal(0)
        row = etree.SubElement(
            table,
            "СведТов",
            НомСтр=str(line.position),
            НаимТов=line.description_ru[:2000],
            СтТовБезНДС=amount_text(line.amount - vat),
            НалСт=rate,
            СтТовУчНал=amount_text(line.amount),
        )
        etree.SubElement(row, "ДопСведТов", ПрТовРаб=SERVICE)
        excise = etree.SubElement(row, "Акциз")
        etree.SubElement(excise, "БезАкциз").text = "без акциза"
        tax(row, "СумНал", line.vat_amount, with_vat)
    vat_total = document.vat_amount or Decimal(0)
    total = etree.SubElement(
        table,
        "ВсегоОпл",
        СтТовБезНДСВсего=amount_text(document.total - vat_total),
        СтТовУчНалВсего=amount_text(document.total),
    )
    tax(total, "СумНалВсего", document.vat_amount, with_vat)
    return table


def _transfer(document: ClosingDocument) -> etree._Element:
    """СвПродПер: the services of the month handed over, on the public offer when there is one."""
    transfer = etree.Element("СвПродПер")
    handed = etree.SubElement(
        transfer,
        "СвПер",
        СодОпер=OPERATION,
        ДатаНачПер=date_text(document.month),
        ДатаОконПер=date_text(document.issued_on),
    )
    if document.offer_number and document.offer_date:
        etree.SubElement(
            handed,
            "ОснПер",
            РеквНаимДок=OFFER,
            РеквНомерДок=document.offer_number,
            РеквДатаДок=date_text(document.offer_date),
        )
    else:
        etree.SubElement(handed, "БезДокОснПер").text = "1"
    return transfer


def signer(provider: dict[str, Any]) -> etree._Element:
    """The company's director (a sole proprietor signs himself); СпосПодтПолном 1: the
    signer's authority is that of the qualified signature's owner."""
    name = full_name(provider.get("director") or "")
    if name is None and len(provider.get("inn") or "") == 12:
        name = full_name(provider.get("legal_name") or "")
    if name is None:
        raise XmlNotAvailable("signer")
    signer = etree.Element("Подписант", СпосПодтПолном="1")
    _fio(signer, name)
    return signer
