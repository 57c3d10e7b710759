"""The reconciliation statement (акт сверки) read from the ledger: a known history over three
months, reconciled for its periods, on the page and in the PDF (its text read back), from the
panel and from the desk; bad periods are said and answered with the form."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
import time_machine
from django.utils import translation

from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.money import Money
from hutor.core.tests.companies import company_b
from hutor.documents import reconciliation
from hutor.invoices.models import Invoice
from hutor.ledger.actions import clearing_account, customer_account, post
from hutor.ledger.models import EntryKind
from hutor.services.actions import place_order
from hutor.testing import save_pdf_screenshot

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
MSK = dt.timezone(dt.timedelta(hours=3))


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=MSK)


@pytest.fixture
def history(account_factory, catalog, top_up):
    """15.01 a payment of 1,000; 10.02 hosting for three months (549) paid from the balance;
    05.03 100 refunded; 31.03 at 23:30 Moscow time (20:30 UTC) a payment of 50, which belongs to
    March, not to April."""
    with time_machine.travel(at("2026-01-15"), tick=False):
        account = account_factory(
            password=PASSWORD,
            name="ООО «Ромашка»",
            kind="company",
            inn="7736207543",
            kpp="773601001",
            address="119021, г. Москва, ул. Льва Толстого, д. 16",
        )
        top_up(account, "1000.00")
    with time_machine.travel(at("2026-02-10"), tick=False):
        place_order(
            billing_account=account, price=catalog.price(catalog.start, 3), identifier="shop.ru"
        )
    with time_machine.travel(at("2026-03-05"), tick=False):
        money = Money("100.00", account.currency)
        post(
            lines=[(customer_account(account), -money), (clearing_account("test", "RUB"), money)],
            kind=EntryKind.REFUND,
            reference="20000042",
            billing_account=account,
        )
    with time_machine.travel(at("2026-03-31", 23).replace(minute=30), tick=False):
        top_up(account, "50.00")
    account.invoice = Invoice.objects.get(billing_account=account)
    return account


@pytest.fixture(autouse=True)
def april():
    with time_machine.travel(at("2026-04-20"), tick=False):
        yield


def test_a_quarter_from_the_ledger(history):
    statement = reconciliation.build(history, dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    assert statement.opening == Money("1000.00", "RUB")
    with translation.override("ru"):
        rows = [(r.day, r.document, r.debit, r.credit) for r in statement.rows]
    assert rows == [
        (dt.date(2026, 2, 10), f"Услуги по счёту №\u00a0{history.invoice.number}", 549, None),
        (dt.date(2026, 3, 5), "Возврат по платежу №\u00a020000042", 100, None),
        (dt.date(2026, 3, 31), "Оплата №\u00a0T2", None, 50),
    ]
    assert statement.debit_turnover == Money("649.00", "RUB")
    assert statement.credit_turnover == Money("50.00", "RUB")
    assert statement.closing == Money("401.00", "RUB")  # 1000 - 549 - 100 + 50

    january = reconciliation.build(history, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert january.opening == Money("0.00", "RUB") and january.closing == Money("1000.00", "RUB")
    april = reconciliation.build(history, dt.date(2026, 4, 1), dt.date(2026, 12, 31))
    assert april.rows == [] and april.opening == april.closing == Money("401.00", "RUB")
    assert april.end == dt.date(2026, 4, 20)  # cut to today


def test_the_pdf_says_it_in_the_standard_layout(history, provider):
    statement = reconciliation.build(history, dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    pdf = reconciliation.render_pdf(statement, "ru")
    save_pdf_screenshot(pdf, "reconciliation-pdf-ru")
    save_pdf_screenshot(reconciliation.render_pdf(statement, "en"), "reconciliation-pdf-en")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.replace("\u00a0", " ").split())
    assert "Акт сверки взаимных расчётов за период 01.02.2026 – 31.03.2026" in text
    assert "между Тестовый Хостинг и ООО «Ромашка»" in text
    assert f"биллинг-аккаунт № {history.number}" in text
    assert "Сальдо начальное" in text and "1 000,00" in text
    assert f"Услуги по счёту № {history.invoice.number}" in text and "549,00" in text
    assert "Обороты за период 649,00 50,00" in text
    assert "Сальдо конечное 401,00" in text
    assert "задолженность в пользу ООО «Ромашка» (аванс) составляет 401,00 RUB" in text
    assert "четыреста один рубль" in text.lower()
    english = reconciliation.render_html(statement, "en")
    assert "Reconciliation statement for 01.02.2026 – 31.03.2026" in english
    assert "Opening balance" in english
    assert f"Services by invoice №\u00a0{history.invoice.number}" in english


def test_the_customer_downloads_it_from_the_panel(client, history, provider):
    client.login(email=history.contact_email, password=PASSWORD)
    page = client.get("/panel/balance/reconciliation/")
    assert page.status_code == 200 and 'name="start"' in page.content.decode()
    shown = client.get("/panel/balance/reconciliation/?start=2026-02-01&end=2026-03-31")
    html = shown.content.decode()
    assert shown.status_code == 200 and "Сальдо конечное" in html and "401,00" in html
    pdf = client.get("/panel/balance/reconciliation/?start=2026-02-01&end=2026-03-31&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"reconciliation-{history.number}-20260201-20260331.pdf" in pdf["Content-Disposition"]
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-31&end=2026-02-01", "Период заканчивается раньше, чем начинается"),
        ("start=2026-05-01&end=2026-05-31", "Период начинается в будущем"),
        ("start=2019-01-01&end=2026-03-31", "не больше пяти лет"),
        ("start=31.02.2026&end=x", "Введите правильную дату"),
        ("start=&end=2026-03-31&format=pdf", "Обязательное поле"),
    ],
)
def test_a_bad_period_is_said_and_nothing_is_made(client, history, provider, query, message):
    client.login(email=history.contact_email, password=PASSWORD)
    response = client.get(f"/panel/balance/reconciliation/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_the_desk_shows_it_in_the_customers_language(history, provider):
    from django.test import Client

    from hutor.accounts.models import User
    from hutor.backoffice.models import StaffProfile

    agent = User.objects.create_user(email="agent@staff.example", password=PASSWORD, is_staff=True)
    StaffProfile.objects.create(user=agent, role=Role.SUPPORT)
    client = desk_session(Client(), agent)
    account_page = client.get(f"/desk/accounts/{history.number}/").content.decode()
    assert f"/desk/accounts/{history.number}/reconciliation/" in account_page
    url = f"/desk/accounts/{history.number}/reconciliation/?start=2026-01-01&end=2026-03-31"
    html = client.get(url).content.decode()
    assert "Сальдо конечное" in html and "Оплата №\u00a0T1" in html
    pdf = client.get(url + "&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/desk/accounts/0000000/reconciliation/").status_code == 404


def test_the_party_is_the_company_billing_the_customers_kind(history, provider):
    """With a second company billing companies, a company customer's statement is between it
    and that company, not the default one (docs/documents-and-taxes.md, the statement)."""
    b = company_b(kinds=["company"])
    statement = reconciliation.build(history, dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    context = reconciliation.context(statement, "ru")
    assert context["provider"] == b
    text = reconciliation.render_html(statement, "ru")
    assert "Второй Хостинг" in text and "Тестовый Хостинг" not in text
