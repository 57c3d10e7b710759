"""The УПД as the FNS XML file (format 5.03, Приказ ФНС России от 19.12.2023 № ЕД-7-26/970@):
built from a closed month's УПД, read back, and validated against the vendored schema
ON_NSCHFDOPPR_1_997_01_05_03_05.xsd with lxml's XMLSchema (the real validation) — status 1
(СЧФДОП, 22 %), status 2 (ДОП, «без НДС»), a company and a sole proprietor as the buyer; the
download in the panel (one's own only) and at the desk."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation
from lxml import etree

from hutor.backoffice.models import Role
from hutor.documents import upd_xml
from hutor.documents.models import ClosingDocument, ClosingKind, ClosingSetting, EdoParticipant
from hutor.documents.tests import test_closing, test_closing_pages
from hutor.documents.tests.test_closing import COMPANY, at, close
from hutor.documents.tests.test_closing_pages import PASSWORD, staff
from hutor.services.actions import place_order
from hutor.services.tariffs import change_tariff
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db

# The fixtures of the closing tests, shared: customers with a February, a company with its act.
customers = test_closing.customers
company = test_closing_pages.company
NAME = re.compile(r"^ON_NSCHFDOPPR_([^_]*)_([^_]*)_(\d{8})_([0-9a-f-]{36})$")


@pytest.fixture
def buyers(customers, provider):
    """test_closing's customers (a company and a sole proprietor with hosting «Старт» for three
    months from 10.02.2026), both issued a УПД, the company able to log in."""
    for kind in ("company", "sole_proprietor"):
        ClosingSetting.objects.create(
            provider=provider, account_kind=kind, document_kind=ClosingKind.UPD
        )
    provider.director = "Иванов Иван Иванович"
    provider.save()
    sole = customers["sole_proprietor"]
    sole.name = "ИП Сидоров Пётр Петрович"
    sole.save(update_fields=["name"])
    user = customers["company"].user
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return customers


def _parse(content: bytes) -> etree._Element:
    assert content.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    root = etree.fromstring(content)
    assert upd_xml.schema().validate(root), upd_xml.schema().error_log
    return root


def test_status_1_is_an_invoice_factura_and_transfer_document(buyers, provider):
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    close("2026-02", "2026-03-01")
    upd = ClosingDocument.objects.get(billing_account=buyers["company"])
    assert upd.upd_status == 1
    file = upd_xml.build(upd)
    root = _parse(file.content)
    assert root.get("ИдФайл") == file.name and file.filename == file.name + ".xml"
    recipient, sender, day, _guid = NAME.match(file.name).groups()
    assert (recipient, sender, day) == ("", "", "20260301")  # no EDO ids set; formed 01.03
    assert root.get("ВерсФорм") == "5.03"
    document = root.find("Документ")
    assert document.get("Функция") == "СЧФДОП" and document.get("КНД") == "1115131"
    assert document.get("ДатаИнфПр") == "01.03.2026"
    invoice = document.find("СвСчФакт")
    assert invoice.get("НомерДок") == str(upd.number) and invoice.get("ДатаДок") == "28.02.2026"
    seller = invoice.find("СвПрод/ИдСв/СвЮЛУч")
    assert (seller.get("НаимОрг"), seller.get("ИННЮЛ"), seller.get("КПП")) == (
        "ООО «Тестовый Хостинг»",
        "7707083893",
        "773601001",
    )
    assert invoice.find("СвПрод/БанкРекв/СвБанк").get("БИК") == "044525225"
    buyer = invoice.find("СвПокуп/ИдСв/СвЮЛУч")
    assert (buyer.get("НаимОрг"), buyer.get("ИННЮЛ")) == ("ООО «Ромашка»", "7736207543")
    assert invoice.find("СвПокуп/Адрес/АдрИнф").get("АдрТекст") == COMPANY["address"]
    [line] = document.findall("ТаблСчФакт/СведТов")
    # 117.20 rendered in February: without tax 96.07, 22 %, tax 21.13 (117.20 × 22 / 122).
    assert line.get("НаимТов").startswith("Хостинг «Старт», company.ru")
    assert (line.get("СтТовБезНДС"), line.get("НалСт"), line.get("СтТовУчНал")) == (
        "96.07",
        "22%",
        "117.20",
    )
    assert line.findtext("СумНал/СумНал") == "21.13"
    total = document.find("ТаблСчФакт/ВсегоОпл")
    assert (total.get("СтТовБезНДСВсего"), total.get("СтТовУчНалВсего")) == ("96.07", "117.20")
    assert total.findtext("СумНалВсего/СумНал") == "21.13"
    handed = document.find("СвПродПер/СвПер")
    assert (handed.get("ДатаНачПер"), handed.get("ДатаОконПер")) == ("01.02.2026", "28.02.2026")
    signer = document.find("Подписант/ФИО")
    assert (signer.get("Фамилия"), signer.get("Имя"), signer.get("Отчество")) == (
        "Иванов",
        "Иван",
        "Иванович",
    )
    # The same document always gives the same file.
    assert upd_xml.build(upd) == file
    # The sole proprietor's УПД of status 1 names them by ИНН and full name; an
    # invoice-factura needs the buyer's address, which this customer never gave.
    sole = ClosingDocument.objects.get(billing_account=buyers["sole_proprietor"])
    with pytest.raises(upd_xml.XmlNotAvailable) as refused:
        upd_xml.build(sole)
    assert refused.value.code == "address"
    payer = dict(sole.payer, address="141700, г. Долгопрудный, ул. Первомайская, д. 1")
    ClosingDocument.objects.filter(pk=sole.pk).update(payer=payer)
    sole.refresh_from_db()
    document = _parse(upd_xml.build(sole).content).find("Документ")
    assert document.get("Функция") == "СЧФДОП"
    assert document.find("СвСчФакт/СвПокуп/ИдСв/СвИП").get("ИННФЛ") == "500100732259"


def test_status_2_without_vat_to_a_sole_proprietor(buyers, provider):
    add_rule(provider=provider, regime="simplified", rate=None, effective_from=dt.date(2026, 1, 1))
    close("2026-02", "2026-03-01")
    upd = ClosingDocument.objects.get(billing_account=buyers["sole_proprietor"])
    assert upd.upd_status == 2
    EdoParticipant.objects.create(company=provider, participant_id="2BM-7707083893-773601001")
    EdoParticipant.objects.create(
        billing_account=buyers["sole_proprietor"], participant_id="2AL-500100732259"
    )
    file = upd_xml.build(upd)
    root = _parse(file.content)
    assert NAME.match(file.name).groups()[:2] == (
        "2AL-500100732259",
        "2BM-7707083893-773601001",
    )
    document = root.find("Документ")
    assert document.get("Функция") == "ДОП"
    person = document.find("СвСчФакт/СвПокуп/ИдСв/СвИП")
    assert person.get("ИННФЛ") == "500100732259"
    fio = person.find("ФИО")
    assert (fio.get("Фамилия"), fio.get("Имя"), fio.get("Отчество")) == (
        "Сидоров",
        "Пётр",
        "Петрович",
    )
    [line] = document.findall("ТаблСчФакт/СведТов")
    assert (line.get("НалСт"), line.get("СтТовБезНДС"), line.get("СтТовУчНал")) == (
        "без НДС",
        "117.20",
        "117.20",
    )
    assert line.findtext("СумНал/БезНДС") == "без НДС"
    assert document.findtext("ТаблСчФакт/ВсегоОпл/СумНалВсего/БезНДС") == "без НДС"
    assert document.find("СвСчФакт/ДенИзм").attrib == {
        "КодОКВ": "643",
        "НаимОКВ": "Российский рубль",
    }
    # windows-1251 on the wire: «Пётр» is the bytes of cp1251, not UTF-8.
    assert "Пётр".encode("cp1251") in file.content
    assert document.findtext("СвПродПер/СвПер/БезДокОснПер") == "1"  # no offer yet
    # The company's УПД of status 2 is valid too, and names the offer it was issued under.
    company = ClosingDocument.objects.get(billing_account=buyers["company"])
    ClosingDocument.objects.filter(pk=company.pk).update(
        offer_number="3", offer_date=dt.date(2026, 1, 15)
    )
    company.refresh_from_db()
    document = _parse(upd_xml.build(company).content).find("Документ")
    assert document.get("Функция") == "ДОП"
    assert document.find("СвСчФакт/СвПокуп/ИдСв/СвЮЛУч").get("ИННЮЛ") == "7736207543"
    basis = document.find("СвПродПер/СвПер/ОснПер")
    assert (basis.get("РеквНаимДок"), basis.get("РеквНомерДок"), basis.get("РеквДатаДок")) == (
        "Публичная оферта",
        "3",
        "15.01.2026",
    )


def test_the_customer_downloads_the_xml_beside_the_pdf_and_nobody_else_does(
    client, buyers, provider, account_factory
):
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    close("2026-02", "2026-03-01")
    upd = ClosingDocument.objects.get(billing_account=buyers["company"])
    client.login(email=buyers["company"].contact_email, password=PASSWORD)
    page = client.get("/panel/balance/documents/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    url = f"/panel/balance/documents/{upd.pk}.xml"
    assert f'href="/panel/balance/documents/{upd.pk}/document.pdf"' in page and url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=windows-1251"
    name = upd_xml.build(upd).name
    assert response["Content-Disposition"] == f'attachment; filename="{name}.xml"'
    root = _parse(response.content)
    assert root.get("ИдФайл") == name and root.find("Документ").get("Функция") == "СЧФДОП"
    # The sole proprietor's УПД is not this customer's; a made-up number is nobody's.
    theirs = ClosingDocument.objects.get(billing_account=buyers["sole_proprietor"])
    assert client.get(f"/panel/balance/documents/{theirs.pk}.xml").status_code == 404
    assert client.get("/panel/balance/documents/999999.xml").status_code == 404
    other = account_factory(password=PASSWORD, email="other@example.com")
    client.logout()
    client.login(email=other.contact_email, password=PASSWORD)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login


def test_the_desk_offers_the_xml_and_says_why_when_it_cannot_be_built(buyers, provider):
    close("2026-02", "2026-03-01")  # no tax rule: status 2
    account = buyers["sole_proprietor"]
    upd = ClosingDocument.objects.get(billing_account=account)
    support = staff(Role.SUPPORT)
    page = support.get(f"/desk/accounts/{account.number}/").content.decode()
    url = f"/desk/accounts/{account.number}/documents/{upd.pk}.xml"
    assert url in page
    response = support.get(url)
    assert response.status_code == 200
    assert _parse(response.content).find("Документ").get("Функция") == "ДОП"
    # Another account's number with this document: 404.
    company = buyers["company"]
    assert support.get(f"/desk/accounts/{company.number}/documents/{upd.pk}.xml").status_code == 404
    # A director without a full name: the file cannot name its signer, and the page says so.
    provider_snapshot = dict(upd.provider, director="Иванов")
    ClosingDocument.objects.filter(pk=upd.pk).update(provider=provider_snapshot)
    refused = support.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    assert refused.status_code == 409
    assert refused.content.decode().startswith(
        "Для XML-файла руководитель компании-провайдера должен быть указан полностью"
    )
    english = support.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.content.decode().startswith("The provider company's director must be set")


@pytest.mark.usefixtures("company")
def test_an_act_without_vat_has_no_xml(client):
    act = ClosingDocument.objects.get()
    assert act.kind == ClosingKind.ACT and not act.has_fns_xml
    client.login(email=act.billing_account.contact_email, password=PASSWORD)
    assert ".xml" not in client.get("/panel/balance/documents/").content.decode()
    assert client.get(f"/panel/balance/documents/{act.pk}.xml").status_code == 404
    with pytest.raises(upd_xml.XmlNotAvailable) as refused:
        upd_xml.build(act)
    assert refused.value.code == "no_xml"


def test_what_the_format_cannot_carry_is_refused_with_the_reason(buyers, provider):
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    close("2026-02", "2026-03-01")
    upd = ClosingDocument.objects.get(billing_account=buyers["company"])
    for change, code, message in (
        ({"currency": "KZT"}, "currency", "The currency KZT has no code here for the FNS format."),
        (
            {"vat_rate": Decimal("12.5")},
            "rate",
            "The VAT rate 12,5% is not one the FNS format lists.",
        ),
        ({"payer": {**upd.payer, "address": " "}}, "address", "Both parties need an address"),
    ):
        document = ClosingDocument.objects.get(pk=upd.pk)
        for field, value in change.items():
            setattr(document, field, value)
        with pytest.raises(upd_xml.XmlNotAvailable) as refused:
            upd_xml.build(document)
        assert refused.value.code == code
        with translation.override("en"):
            assert refused.value.message().startswith(message)


def test_the_invoice_factura_of_an_act_is_function_schf_and_a_correction_has_none(
    client, account_factory, top_up, provider, catalog
):
    """A VAT payer's act: its invoice-factura as the file (СЧФ), naming the act in line 5а;
    after a late tariff change the correction act has no XML (its schema was not found)."""
    add_rule(
        provider=provider, regime="general", rate=Decimal(20), effective_from=dt.date(2025, 1, 1)
    )
    provider.director = "Иванов Иван Иванович"
    provider.save()
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(password=PASSWORD, **COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.pro, 1), identifier="shop.ru"
        )
    close("2026-02", "2026-03-01")
    act = ClosingDocument.objects.get(billing_account=account)
    assert act.kind == ClosingKind.ACT and act.has_invoice_factura and act.has_fns_xml
    client.login(email=account.contact_email, password=PASSWORD)
    url = f"/panel/balance/documents/{act.pk}.xml"
    assert url in client.get("/panel/balance/documents/").content.decode()
    response = client.get(url)
    assert response.status_code == 200
    document = _parse(response.content).find("Документ")
    assert document.get("Функция") == "СЧФ"
    assert document.get("НаимДокОпр") is None and document.find("СвПродПер") is None
    shipped = document.find("СвСчФакт/ДокПодтвОтгрНом")
    assert (shipped.get("РеквНаимДок"), shipped.get("РеквНомерДок")) == (
        "Акт оказанных услуг",
        str(act.number),
    )
    [line] = document.findall("ТаблСчФакт/СведТов")
    # 338.61 (499 × 19/28) at 20 %: 282.17 + 56.44 (338.61 × 20 / 120 = 56.435, half up).
    assert (line.get("СтТовБезНДС"), line.get("НалСт"), line.findtext("СумНал/СумНал")) == (
        "282.17",
        "20%",
        "56.44",
    )
    service = account.services.get()
    with time_machine.travel(at("2026-02-20"), tick=False):  # recorded late, dated February
        change_tariff(service=service, new_tariff=catalog.start)
    assert "corrections=1" in close("2026-02", "2026-03-05")
    correction = ClosingDocument.objects.get(billing_account=account, correction=1)
    assert not correction.has_fns_xml
    page = client.get("/panel/balance/documents/").content.decode()
    assert f"/panel/balance/documents/{correction.pk}.xml" not in page
    assert client.get(f"/panel/balance/documents/{correction.pk}.xml").status_code == 404


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Иванов Иван Иванович", ("Иванов", "Иван", "Иванович")),
        ("ИП Сидоров Пётр", ("Сидоров", "Пётр", "")),
        ("Индивидуальный предприниматель Ким Ен Су Ли", ("Ким", "Ен", "Су Ли")),
        ("Иванов", None),
        ("", None),
    ],
)
def test_full_names(text, expected):
    assert upd_xml.full_name(text) == expected


def test_the_admin_sets_the_edo_identifiers_and_the_file_name_carries_them(
    admin_client, buyers, provider
):
    close("2026-02", "2026-03-01")
    upd = ClosingDocument.objects.get(billing_account=buyers["company"])
    url = "/admin/documents/edoparticipant/add/"
    both = admin_client.post(
        url,
        {
            "company": provider.pk,
            "billing_account": buyers["company"].pk,
            "participant_id": "2BM-7707083893",
        },
    )
    assert both.status_code == 200
    assert "Укажите либо компанию-провайдера, либо биллинг-аккаунт." in both.content.decode()
    underscore = admin_client.post(url, {"company": provider.pk, "participant_id": "2BM_77"})
    assert "Буквы, цифры и дефисы — как выдал оператор ЭДО." in underscore.content.decode()
    assert not EdoParticipant.objects.exists()
    for owner in ({"company": provider.pk}, {"billing_account": buyers["company"].pk}):
        number = "2BM-7707083893-773601001" if "company" in owner else "2AE-7736207543"
        assert admin_client.post(url, {**owner, "participant_id": number}).status_code == 302
    name = upd_xml.build(upd).name
    assert name.startswith("ON_NSCHFDOPPR_2AE-7736207543_2BM-7707083893-773601001_20260301_")


def test_the_advance_invoice_factura_as_xml(client, account_factory, payment_methods, provider):
    """A prepayment of 12,000.00 on 02.03.2026 at 22 %: function СЧФ, special circumstance 2,
    the payment document in line 5, 22/122 and 2,163.93 of tax, no value without tax."""
    from hutor.documents import advance_xml
    from hutor.documents.models import AdvanceInvoice
    from hutor.documents.tests.test_advances import advances, pay

    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    provider.director = "Иванов Иван Иванович"
    provider.save()
    account = account_factory(password=PASSWORD, **COMPANY)
    pay(account, payment_methods.demo, "12000.00", "2026-03-02")
    advances("2026-03-03")
    invoice = AdvanceInvoice.objects.get()
    client.login(email=account.contact_email, password=PASSWORD)
    url = f"/panel/balance/documents/advance/{invoice.pk}.xml"
    assert url in client.get("/panel/balance/documents/").content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=windows-1251"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{advance_xml.build(invoice).filename}"'
    )
    document = _parse(response.content).find("Документ")
    assert document.get("Функция") == "СЧФ" and document.get("НаимДокОпр") is None
    header = document.find("СвСчФакт")
    assert (header.get("НомерДок"), header.get("ДатаДок")) == ("А-1", "02.03.2026")
    assert header.find("ДопСвФХЖ1").get("СпОбстФСЧФ") == "2"
    assert header.find("ДокПодтвОтгрНом") is None
    payment = header.find("СвПРД")
    assert (payment.get("НомерПРД"), payment.get("ДатаПРД")) == (
        invoice.payment_document,
        "02.03.2026",
    )
    [line] = document.findall("ТаблСчФакт/СведТов")
    assert line.get("НаимТов") == f"Предоплата за услуги, биллинг-аккаунт № {account.number}"
    assert (line.get("НалСт"), line.get("СтТовУчНал"), line.findtext("СумНал/СумНал")) == (
        "22/122",
        "12000.00",
        "2163.93",
    )
    assert line.get("СтТовБезНДС") is None
    total = document.find("ТаблСчФакт/ВсегоОпл")
    assert total.get("СтТовУчНалВсего") == "12000.00" and total.get("СтТовБезНДСВсего") is None
    assert document.find("СвПродПер") is None
    # At the desk too; another customer's is a 404.
    desk = staff(Role.SUPPORT)
    desk_url = f"/desk/accounts/{account.number}/advance-invoices/{invoice.pk}.xml"
    assert desk_url in desk.get(f"/desk/accounts/{account.number}/").content.decode()
    assert _parse(desk.get(desk_url).content).find("Документ").get("Функция") == "СЧФ"
    other = account_factory(password=PASSWORD, email="other@example.com")
    assert (
        desk.get(f"/desk/accounts/{other.number}/advance-invoices/{invoice.pk}.xml").status_code
        == 404
    )
    client.logout()
    client.login(email=other.contact_email, password=PASSWORD)
    assert client.get(url).status_code == 404
