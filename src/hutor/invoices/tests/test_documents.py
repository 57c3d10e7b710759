"""The invoice PDF carries the number, both parties' requisites, the total and a payment QR
code that a real decoder reads as a valid GOST R 56042-2014 string."""

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
import time_machine
import zxingcpp
from PIL import Image

from hutor.accounts.models import AccountKind
from hutor.core.models import Provider
from hutor.invoices import documents
from hutor.services.actions import order_invoice, place_order
from hutor.taxes import actions as taxes
from hutor.taxes.models import SINCE_EVER

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_invoice(catalog, account_factory):
    account = account_factory(
        name="ООО «Ромашка»",
        kind=AccountKind.COMPANY,
        inn="7707329152",
        kpp="770701001",
        address="Москва, ул. Лесная, 1",
    )
    with time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC), tick=False):
        service = place_order(
            billing_account=account,
            price=catalog.price(catalog.vps1, 1),
            identifier="vps.romashka.ru",
        )
    return order_invoice(service)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_qr_codes(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = []
    for page in reader.pages:
        for image in page.images:
            picture = Image.open(io.BytesIO(image.data)).convert("L")
            # Give the decoder a quiet zone and a size it likes.
            picture = picture.resize(
                (picture.width * 2, picture.height * 2), Image.Resampling.NEAREST
            )
            found += [r.text for r in zxingcpp.read_barcodes(picture)]
    return found


def test_the_pdf_has_number_parties_total_in_figures_and_words(company_invoice):
    text = " ".join(pdf_text(documents.render_pdf(company_invoice)).split())
    assert "Счёт на оплату № 26-000001 от 26 ноября 2026" in text
    for fragment in (
        "ООО «Тестовый Хостинг»",
        "7707083893",
        "773601001",
        "044525225",
        "30101810400000000225",
        "40702810938000000001",
        "ПАО Сбербанк",
        "ООО «Ромашка»",
        "7707329152",
        "770701001",
    ):
        assert fragment in text, fragment
    assert "1 490,00" in text
    assert "Одна тысяча четыреста девяносто рублей 00 копеек" in text
    assert "Без НДС" in text


def test_the_qr_code_decodes_to_a_valid_st00012_string(company_invoice):
    codes = pdf_qr_codes(documents.render_pdf(company_invoice))
    assert len(codes) == 1
    fields = codes[0].split("|")
    assert fields[0] == "ST00012"
    pairs = dict(field.split("=", 1) for field in fields[1:])
    assert [f.split("=")[0] for f in fields[1:6]] == [
        "Name",
        "PersonalAcc",
        "BankName",
        "BIC",
        "CorrespAcc",
    ]
    assert pairs["Name"] == "ООО «Тестовый Хостинг»"
    assert pairs["PersonalAcc"] == "40702810938000000001"
    assert pairs["BIC"] == "044525225"
    assert pairs["Sum"] == "149000"  # kopecks
    assert "26-000001" in pairs["Purpose"]
    assert company_invoice.payer["number"] in pairs["Purpose"]
    assert pairs["PayeeINN"] == "7707083893" and pairs["KPP"] == "773601001"
    assert pairs["PayerINN"] == "7707329152"


def test_an_issued_invoice_renders_identically_after_catalog_and_requisites_change(
    company_invoice, catalog
):
    before = documents.render_html(company_invoice)
    Provider.objects.filter(pk=1).update(
        legal_name="ООО «Другое имя»", settlement_account="40702810000000000009"
    )
    taxes.add_rule(  # a VAT rate in force from before the invoice: it keeps its own
        provider=Provider.objects.get(),
        regime="general",
        rate=Decimal(20),
        effective_from=SINCE_EVER,
    )
    catalog.vps1.name_ru = "Совсем другой тариф"
    catalog.vps1.save()
    catalog.vps1.prices.update(price="1.00")
    company_invoice.refresh_from_db()
    assert documents.render_html(company_invoice) == before


def test_vat_when_configured(catalog, account_factory):
    taxes.add_rule(
        provider=Provider.objects.get(),
        regime="general",
        rate=Decimal(20),
        effective_from=SINCE_EVER,
    )
    service = place_order(
        billing_account=account_factory(), price=catalog.price(catalog.start, 12), identifier="a.ru"
    )
    html = documents.render_html(order_invoice(service))
    assert "В том числе НДС 20%" in html
    assert "331,67" in html  # 1990 * 20 / 120 = 331.666... -> 331.67


def test_english_customers_get_an_english_invoice(catalog, account_factory):
    account = account_factory(language="en")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="a.ru"
    )
    invoice = order_invoice(service)
    html = documents.render_html(invoice)
    assert f"Invoice No. {invoice.number} of" in html
    assert "No VAT" in html
    assert "One hundred and ninety-nine" in html
    # The payment purpose stays Russian: it is read by Russian banks.
    assert "Оплата по счёту" in documents.qr_payload(invoice)


def _qr_pairs(invoice) -> dict[str, str]:
    return dict(field.split("=", 1) for field in documents.qr_payload(invoice).split("|")[1:])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Issue 12, item 10: «Иван» was put into LastName.
        ("Иван Петров", {}),
        ("Петров", {}),
        (
            "Петров Иван Сергеевич",
            {"LastName": "Петров", "FirstName": "Иван", "MiddleName": "Сергеевич"},
        ),
    ],
)
def test_an_individuals_name_fields_follow_the_bank_documents_rule(
    catalog, account_factory, name, expected
):
    account = account_factory(name=name, kind=AccountKind.INDIVIDUAL)
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="a.ru"
    )
    pairs = _qr_pairs(order_invoice(service))
    names = {k: v for k, v in pairs.items() if k in ("LastName", "FirstName", "MiddleName")}
    assert names == expected


def test_the_signers_names_stay_on_their_signature_lines(company_invoice):
    """Issue 12, item 10: a long name wrapped under the line. Each signer is one line of the
    PDF: the title, the line, the name."""
    Provider.objects.filter(pk=1).update(
        director="Кузнецов Алексей Викторович", accountant="Соколова Марина Андреевна"
    )
    company_invoice.provider.update(
        director="Кузнецов Алексей Викторович", accountant="Соколова Марина Андреевна"
    )
    lines = pdf_text(documents.render_pdf(company_invoice)).splitlines()
    signers = [line for line in lines if "Кузнецов" in line or "Соколова" in line]
    assert len(signers) == 1, signers
    assert "Кузнецов Алексей Викторович" in signers[0]
    assert "Соколова Марина Андреевна" in signers[0]


def test_the_invoice_quotes_the_offer_the_customer_accepted_frozen_at_issue(
    catalog, account_factory
):
    from hutor.offers import actions as offers
    from hutor.offers.models import Acceptance

    def publish(number: str, day: dt.date):
        draft, _ = offers.save_draft(
            offer=None,
            values={"number": number, "effective_from": day, "text_ru": "Текст.", "text_en": ""},
        )
        with time_machine.travel(dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC), tick=False):
            offers.publish(offer=draft)
        return draft

    first = publish("2026/01", dt.date(2026, 1, 10))
    account = account_factory()
    Acceptance.objects.create(
        billing_account=account, offer=first, accepted_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    )
    publish("2026/02", dt.date(2026, 6, 1))  # in force now, but not what this customer accepted
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 12), identifier="a.ru"
    )
    invoice = order_invoice(service)
    assert invoice.payer["contract"] == {"number": "2026/01", "date": "2026-01-10"}
    text = " ".join(pdf_text(documents.render_pdf(invoice)).split())
    assert "Основание: договор-оферта № 2026/01 от 10.01.2026" in text
    # Another customer who never accepted one: the version in force on the invoice's day.
    other = place_order(
        billing_account=account_factory(), price=catalog.price(catalog.start, 12), identifier="b.ru"
    )
    assert order_invoice(other).payer["contract"]["number"] == "2026/02"
