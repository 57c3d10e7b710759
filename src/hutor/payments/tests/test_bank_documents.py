"""Bank documents of a bank-transfer top-up (S5): the PD-4 receipt for individuals and the bill
for payment for companies, as PDF with a GOST R 56042-2014 QR code a real decoder reads, and
the customer's pages that print them."""

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
from hutor.core.money import Money
from hutor.invoices.models import Invoice
from hutor.panel.tests.forms import form_token
from hutor.payments.actions import start_top_up
from hutor.payments.bank import documents
from hutor.taxes import actions as taxes
from hutor.taxes.models import SINCE_EVER
from hutor.testing import save_pdf_screenshot

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
NOON = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_qr_codes(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = []
    for page in reader.pages:
        for image in page.images:
            picture = Image.open(io.BytesIO(image.data)).convert("L")
            picture = picture.resize(
                (picture.width * 2, picture.height * 2), Image.Resampling.NEAREST
            )
            found += [r.text for r in zxingcpp.read_barcodes(picture)]
    return found


def qr_fields(data: bytes) -> tuple[list[str], dict[str, str]]:
    codes = pdf_qr_codes(data)
    assert len(codes) == 1, codes
    parts = codes[0].split("|")
    assert parts[0] == "ST00012"
    keys = [part.split("=", 1)[0] for part in parts[1:]]
    return keys, dict(part.split("=", 1) for part in parts[1:])


@pytest.fixture
def individual(account_factory, provider):
    return account_factory(
        name="Иванов Иван Иванович",
        address="125009, г. Москва, ул. Тверская, д. 7, кв. 15",
        password=PASSWORD,
    )


@pytest.fixture
def company(account_factory, provider):
    return account_factory(
        name="ООО «Ромашка»",
        kind=AccountKind.COMPANY,
        inn="7707329152",
        kpp="770701001",
        address="127015, г. Москва, ул. Лесная, д. 1",
        password=PASSWORD,
    )


def bank_payment(account, methods, amount="1500.00"):
    with time_machine.travel(NOON, tick=False):
        return start_top_up(billing_account=account, method=methods.bank, amount=Money(amount))


def test_individuals_get_a_pd4_receipt_with_every_field(individual, payment_methods):
    payment = bank_payment(individual, payment_methods)
    pdf = documents.render_pdf(payment)
    save_pdf_screenshot(pdf, "bank-pd4-receipt")
    text = pdf_text(pdf)
    compact = "".join(text.split())
    assert documents.document_kind(individual) == documents.RECEIPT
    for fragment in (
        "Извещение",
        "Квитанция",
        "Кассир",
        "Форма № ПД-4",
        "ООО «Тестовый Хостинг»",
        "773601001",  # KPP
        "ПАО Сбербанк",
        "Номер кор./сч. банка получателя платежа",
        "Иванов Иван Иванович",
        "125009, г. Москва, ул. Тверская, д. 7, кв. 15",
        "Сумма платежа: 1500 руб. 00 коп.",
        "С условиями приема указанной в платежном документе суммы, в т.ч. с суммой взимаемой "
        "платы за услуги банка, ознакомлен и согласен.",
        "Подпись плательщика",
    ):
        assert fragment in text, fragment
    # The purpose may wrap across lines; the requisites are printed digit by digit in boxes.
    purpose = (
        f"Пополнение баланса биллинг-аккаунта № {individual.number}, платёж № {payment.number}"
    )
    assert "".join(f"{purpose}. Без НДС".split()) in compact
    for digits in ("7707083893", "40702810938000000001", "044525225", "30101810400000000225"):
        assert digits in compact, digits
    assert text.count("Кассир") == 2 and text.count("Форма № ПД-4") == 2
    assert Invoice.objects.count() == 0  # S5: a top-up issues no invoice


def test_the_receipts_qr_code_carries_the_requisites_and_the_payer(individual, payment_methods):
    payment = bank_payment(individual, payment_methods)
    keys, fields = qr_fields(documents.render_pdf(payment))
    assert keys[:5] == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"]
    assert keys[5:9] == ["Sum", "Purpose", "PayeeINN", "KPP"]
    assert fields["Name"] == "ООО «Тестовый Хостинг»"
    assert fields["PersonalAcc"] == "40702810938000000001"
    assert fields["BankName"] == "ПАО Сбербанк"
    assert fields["BIC"] == "044525225"
    assert fields["CorrespAcc"] == "30101810400000000225"
    assert fields["Sum"] == "150000"  # kopecks
    assert individual.number in fields["Purpose"] and payment.number in fields["Purpose"]
    assert fields["PayeeINN"] == "7707083893" and fields["KPP"] == "773601001"
    assert fields["PersAcc"] == individual.number
    assert (fields["LastName"], fields["FirstName"], fields["MiddleName"]) == (
        "Иванов",
        "Иван",
        "Иванович",
    )
    assert fields["PayerAddress"] == "125009, г. Москва, ул. Тверская, д. 7, кв. 15"
    assert "PayerINN" not in fields


def test_a_name_without_three_parts_is_not_split_and_separators_never_leak(
    account_factory, provider, payment_methods
):
    account = account_factory(name="Cher", address="Москва | Арбат\nд. 1")
    payment = bank_payment(account, payment_methods)
    payload = documents.qr_payload(payment)
    assert "LastName" not in payload and "FirstName" not in payload
    fields = dict(part.split("=", 1) for part in payload.split("|")[1:])
    assert fields["PayerAddress"] == "Москва Арбат д. 1"


def test_companies_get_a_bill_numbered_by_the_payment(company, payment_methods):
    payment = bank_payment(company, payment_methods)
    pdf = documents.render_pdf(payment)
    save_pdf_screenshot(pdf, "bank-bill-for-payment")
    text = pdf_text(pdf)
    assert documents.document_kind(company) == documents.BILL
    assert f"Счёт на оплату № {payment.number} от 20 ноября 2026 г." in text
    for fragment in (
        "ООО «Тестовый Хостинг», ИНН 7707083893, КПП 773601001",
        "117312, г. Москва, ул. Вавилова, д. 19",
        "ООО «Ромашка», ИНН 7707329152, КПП 770701001, 127015, г. Москва, ул. Лесная, д. 1",
        "ПАО Сбербанк",
        "044525225",
        "30101810400000000225",
        "40702810938000000001",
        f"Пополнение баланса биллинг-аккаунта № {company.number}",
        "1 500,00",
        "Одна тысяча пятьсот рублей 00 копеек",
        "Без НДС",
        "Иванов И. И.",
        "Петрова А. А.",
    ):
        assert fragment in text, fragment
    assert Invoice.objects.count() == 0
    keys, fields = qr_fields(pdf)
    assert keys[:5] == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"]
    assert fields["Sum"] == "150000"
    assert fields["PayerINN"] == "7707329152"
    assert company.number in fields["Purpose"] and payment.number in fields["Purpose"]
    assert "LastName" not in fields


def test_sole_proprietors_get_a_bill_too(account_factory, provider, payment_methods):
    account = account_factory(
        name="ИП Сидоров Сидор Сидорович",
        kind=AccountKind.SOLE_PROPRIETOR,
        inn="500100732259",
        address="Тула",
    )
    payment = bank_payment(account, payment_methods)
    html = documents.render_html(payment)
    assert f"Счёт на оплату № {payment.number}" in html
    assert "ИНН 500100732259" in html


def test_the_configured_vat_is_printed_and_quoted(company, payment_methods):
    taxes.add_rule(
        provider=Provider.objects.get(),
        regime="general",
        rate=Decimal(20),
        effective_from=SINCE_EVER,
    )
    payment = bank_payment(company, payment_methods)
    html = documents.render_html(payment)
    assert "В том числе НДС 20%" in html and "250,00" in html  # 1500 x 20 / 120
    assert "Без НДС" not in html
    assert documents.purpose(payment).endswith("В т.ч. НДС 20% — 250.00 руб.")


def test_documents_follow_the_current_requisites(individual, payment_methods):
    payment = bank_payment(individual, payment_methods)
    Provider.objects.filter(pk=1).update(settlement_account="40702810000000000009")
    assert "PersonalAcc=40702810000000000009" in documents.qr_payload(payment)


# --- The customer's pages ----------------------------------------------------------------------


def test_a_bank_top_up_leads_to_its_printable_document(client, individual, payment_methods):
    client.login(email=individual.contact_email, password=PASSWORD)
    response = client.post(
        "/panel/top-up/",
        {"amount": "1500", "method": payment_methods.bank.pk}
        | form_token(client, "/panel/top-up/"),
    )
    payment = individual.payments.get()
    assert response.status_code == 302
    assert response["Location"] == f"/panel/payments/{payment.number}/"
    detail = client.get(response["Location"]).content.decode()
    assert f"/panel/payments/{payment.number}/document/" in detail
    assert f"/panel/payments/{payment.number}/document.pdf" in detail
    page = client.get(f"/panel/payments/{payment.number}/document/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Извещение" in html and "Квитанция" in html and "data-print" in html
    assert f"/panel/payments/{payment.number}/document.pdf" in html
    pdf = client.get(f"/panel/payments/{payment.number}/document.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"pd4-{payment.number}.pdf" in pdf["Content-Disposition"]


def test_the_page_follows_the_customers_language_and_the_document_stays_russian(
    client, account_factory, provider, payment_methods
):
    account = account_factory(language="en", password=PASSWORD, name="John Smith")
    payment = bank_payment(account, payment_methods)
    client.login(email=account.contact_email, password=PASSWORD)
    client.cookies["django_language"] = "en"
    html = client.get(f"/panel/payments/{payment.number}/document/").content.decode()
    assert "Download PDF" in html and "Print" in html
    assert "Извещение" in html and "Пополнение баланса биллинг-аккаунта" in html


def test_other_customers_and_other_methods_get_a_404(client, individual, company, payment_methods):
    theirs = bank_payment(company, payment_methods)
    client.login(email=individual.contact_email, password=PASSWORD)
    for url in (
        f"/panel/payments/{theirs.number}/document/",
        f"/panel/payments/{theirs.number}/document.pdf",
    ):
        assert client.get(url).status_code == 404
    online = start_top_up(
        billing_account=individual, method=payment_methods.demo, amount=Money("500")
    )
    assert client.get(f"/panel/payments/{online.number}/document/").status_code == 404
    client.logout()
    response = client.get(f"/panel/payments/{theirs.number}/document/")
    assert response.status_code == 302 and "/login/" in response["Location"]
