"""A top-up belongs to a provider company (payments.companies.company_of): the method's company
when it names one, else the company billing the customer's kind, else the default; its bank
documents, printed from the panel, carry that company's requisites and bank account (and the
QR code too, so the money arrives on that company's account)."""

from __future__ import annotations

import pytest

from hutor.core.tests.companies import B_ACCOUNT, B_BIK, company_b
from hutor.panel.tests.forms import form_token
from hutor.payments.bank import actions as bank_actions
from hutor.payments.companies import company_of
from hutor.payments.models import Gateway, PaymentMethod, PaymentStatus
from hutor.payments.tests.test_bank_documents import PASSWORD, pdf_text, qr_fields
from hutor.payments.tests.test_bank_documents import company as company  # a fixture
from hutor.payments.tests.test_bank_statement import _text
from hutor.payments.tests.test_bank_statement import customers as customers  # a fixture

pytestmark = pytest.mark.django_db

A_ACCOUNT = "40702810938000000001"  # the conftest's default company's


def demo_method_of(company) -> PaymentMethod:
    """A demo payment service method («demo-a», the conftest's secret) naming `company`."""
    return PaymentMethod.objects.create(
        slug="demo-a",
        gateway=Gateway.DEMO,
        name_ru="Демо А",
        name_en="Demo A",
        settings={"secret": "demo-secret"},
        is_test_mode=True,
        company=company,
    )


def top_up_document(client, account, method) -> tuple[str, bytes]:
    """Top up through the panel's form and open the printable document and its PDF."""
    client.login(email=account.contact_email, password=PASSWORD)
    response = client.post(
        "/panel/top-up/",
        {"amount": "1500", "method": method.pk} | form_token(client, "/panel/top-up/"),
    )
    assert response.status_code == 302, response.content[:300]
    payment = account.payments.get()
    page = client.get(f"/panel/payments/{payment.number}/document/")
    assert page.status_code == 200
    pdf = client.get(f"/panel/payments/{payment.number}/document.pdf")
    assert pdf.status_code == 200
    return page.content.decode(), pdf.content


def test_an_individuals_top_up_is_the_company_billing_individuals(
    client, account_factory, provider, payment_methods
):
    company_b(kinds=["individual"])
    account = account_factory(name="Иванов Иван Иванович", password=PASSWORD)
    html, pdf = top_up_document(client, account, payment_methods.bank)
    text = "".join(pdf_text(pdf).split())
    assert "ООО«ВторойХостинг»" in text and "АО«Т-Банк»" in text
    for digits in ("7728168971", B_ACCOUNT, B_BIK):
        assert digits in text, digits
    assert "ТестовыйХостинг" not in text and A_ACCOUNT not in text
    _keys, fields = qr_fields(pdf)
    assert fields["Name"] == "ООО «Второй Хостинг»" and fields["PersonalAcc"] == B_ACCOUNT
    assert fields["BIC"] == B_BIK and fields["PayeeINN"] == "7728168971"
    assert "Второй Хостинг" in html


def test_a_method_naming_a_company_makes_the_top_up_that_company_s(
    client, company, payment_methods
):
    b = company_b(kinds=[])
    bank_b = PaymentMethod.objects.create(
        slug="bank-b",
        gateway=Gateway.BANK_TRANSFER,
        name_ru="Банк Б",
        name_en="Bank B",
        company=b,
    )
    _html, pdf = top_up_document(client, company, bank_b)
    text = "".join(pdf_text(pdf).split())
    assert "ООО«ВторойХостинг»" in text and B_ACCOUNT in text and A_ACCOUNT not in text
    assert "Счётнаоплату" in text and "7728168971" in text


def test_with_no_company_named_the_default_company_prints(
    client, account_factory, provider, payment_methods
):
    company_b(kinds=["company"])  # B bills companies, not individuals
    account = account_factory(name="Петров Пётр Петрович", password=PASSWORD)
    _html, pdf = top_up_document(client, account, payment_methods.bank)
    text = "".join(pdf_text(pdf).split())
    assert "ООО«ТестовыйХостинг»" in text and A_ACCOUNT in text and B_ACCOUNT not in text
    _keys, fields = qr_fields(pdf)
    assert fields["PersonalAcc"] == A_ACCOUNT and fields["PayeeINN"] == "7707083893"


def test_a_payment_that_arrived_on_a_company_s_account_is_that_company_s(customers):
    """The quoted payment's method names no company and individuals are the default's, but
    the money arrived on company B's account: the payment is B's (its advance
    invoice-factura, were it a company's, would be B's)."""
    b = company_b()
    text = _text().replace(A_ACCOUNT, B_ACCOUNT)
    statement = bank_actions.import_statement(content=text.encode("cp1251"), file_name="b.txt")
    assert not statement.is_rejected
    payment = customers["payment"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.method.company_id is None
    assert company_of(payment) == b
