"""The customer's billing panel through the HTTP client: S3's home page, renewals, tariff
changes, top-ups, invoices and the balance history."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.ledger import queries as ledger_queries
from hutor.panel.tests.forms import form_token
from hutor.payments.models import Payment, PaymentStatus
from hutor.services.actions import place_order
from hutor.services.models import ServiceStatus

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
NOON = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def customer(account_factory, client, catalog, payment_methods, top_up):
    account = account_factory(password=PASSWORD)
    top_up(account, "300.00")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="shop.ru"
    )
    client.login(email=account.contact_email, password=PASSWORD)
    account.service = service
    return account


def test_home_shows_the_four_blocks(client, customer):
    page = client.get("/panel/").content.decode()
    assert customer.number in page  # 1. the number
    assert "101,00" in page  # 2. the balance: 300 - 199
    assert "300,00" in page  # 3. total of credited payments
    assert "26 ноября 2026" in page  # 3. creation date
    assert f"/panel/services/{customer.service.pk}/renew/" in page  # 4. renew ...
    assert f"/panel/services/{customer.service.pk}/tariff/" in page  # ... or change tariff
    assert 'action="/panel/top-up/"' in page and 'name="method"' in page  # 4. top up
    assert "оплачено по 25.12.2026" in page  # the last paid day in the quick box (26.12 unpaid)


def test_home_queries_do_not_grow_with_the_history(client, customer, top_up):
    def count() -> int:
        # The first view in a minute reads the guide's links again (kb.guide.panel_links).
        client.get("/panel/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/panel/").status_code == 200
        return len(queries)

    few = count()
    for _ in range(999):
        top_up(customer, "1.00")
    assert count() == few


def test_renewal_creates_a_numbered_invoice_paid_from_the_balance(
    client, customer, catalog, top_up
):
    top_up(customer, "100.00")  # 101 + 100 covers a month at 199
    renew = f"/panel/services/{customer.service.pk}/renew/"
    response = client.post(
        renew, {"price": catalog.price(catalog.start, 1).pk} | form_token(client, renew)
    )
    invoice = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
    assert response["Location"] == f"/panel/invoices/{invoice.number}/"
    assert invoice.status == InvoiceStatus.PAID
    customer.service.refresh_from_db()
    assert customer.service.paid_until == dt.date(2027, 1, 26)  # extended from paid-until
    # Asking again while unpaid returns the open one; here it is paid, so a new one is made.
    client.post(renew, {"price": catalog.price(catalog.start, 12).pk} | form_token(client, renew))
    second = Invoice.objects.filter(kind=InvoiceKind.RENEWAL).latest("id")
    assert second.status == InvoiceStatus.UNPAID  # 1990 > balance
    page = client.get(f"/panel/invoices/{second.number}/").content.decode()
    assert "Пополнить на" in page or "Top up" in page
    pay = client.post(
        f"/panel/invoices/{second.number}/pay/",
        form_token(client, f"/panel/invoices/{second.number}/"),
    )
    assert pay["Location"].startswith("/panel/top-up/?amount=")
    again = client.post(
        renew, {"price": catalog.price(catalog.start, 1).pk} | form_token(client, renew)
    )
    assert again["Location"] == f"/panel/invoices/{second.number}/"  # one open renewal at a time


def test_a_lapsed_service_is_renewed_from_today(client, customer, catalog, top_up):
    with time_machine.travel(NOON + dt.timedelta(days=60), tick=False):
        top_up(customer, "199.00")
        client.login(email=customer.contact_email, password=PASSWORD)  # the session has expired
        renew = f"/panel/services/{customer.service.pk}/renew/"
        client.post(
            renew, {"price": catalog.price(catalog.start, 1).pk} | form_token(client, renew)
        )
    customer.service.refresh_from_db()
    assert customer.service.paid_until == dt.date(2027, 2, 25)  # today (25 Jan) + 1 month


def test_tariff_change_shows_the_quote_then_upgrades_by_invoice(client, customer, catalog, top_up):
    page = client.get(f"/panel/services/{customer.service.pk}/tariff/").content.decode()
    # 30 paid days left of 30: (499 - 199) x 30/30 = 300.00
    assert "300,00" in page
    url = f"/panel/services/{customer.service.pk}/tariff/"
    response = client.post(url, {"tariff": catalog.pro.pk} | form_token(client, url))
    invoice = Invoice.objects.get(kind=InvoiceKind.TARIFF_CHANGE)
    assert response["Location"] == f"/panel/invoices/{invoice.number}/"
    assert invoice.total == 300 and invoice.status == InvoiceStatus.UNPAID
    customer.service.refresh_from_db()
    assert customer.service.tariff == catalog.start  # applied once paid
    top_up(customer, "300.00")
    customer.service.refresh_from_db()
    assert customer.service.tariff == catalog.pro
    assert customer.service.provisioning.filter(operation="change_tariff").exists()


def test_a_downgrade_credits_the_balance_at_once(client, customer, catalog, top_up):
    top_up(customer, "300.00")
    url = f"/panel/services/{customer.service.pk}/tariff/"
    client.post(url, {"tariff": catalog.pro.pk} | form_token(client, url))
    before = ledger_queries.balance(customer)
    with time_machine.travel(NOON + dt.timedelta(days=15), tick=False):
        client.login(email=customer.contact_email, password=PASSWORD)  # the session has expired
        client.post(url, {"tariff": catalog.start.pk} | form_token(client, url))
    customer.service.refresh_from_db()
    assert customer.service.tariff == catalog.start
    assert ledger_queries.balance(customer) == before + Money("150.00")  # 15 of 30 days x 300


def test_top_up_through_the_demo_payment_service_grows_balance_and_total(
    client, customer, payment_methods
):
    response = client.post(
        "/panel/top-up/",
        {"amount": "1 000,50", "method": payment_methods.demo.pk} | form_token(client, "/panel/"),
    )
    payment = Payment.objects.get()
    assert not Invoice.objects.exclude(kind=InvoiceKind.ORDER).exists()  # S5: no invoice
    assert response["Location"] == f"/pay/demo/demo/{payment.number}/"
    payer = client.get(response["Location"])
    assert payment.number in payer.content.decode()
    back = client.post(response["Location"], {"outcome": "pay"}, follow=True)
    assert back.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert ledger_queries.balance(customer) == Money("1101.50")
    assert ledger_queries.total_credited(customer) == Money("1300.50")


@pytest.mark.parametrize(
    ("amount", "message"), [("abc", "amount"), ("10", "100"), ("0", "zero"), ("5.555", "amount")]
)
def test_top_up_bad_amounts_are_refused_on_the_form(
    client, customer, payment_methods, amount, message
):
    response = client.post(
        "/panel/top-up/",
        {"amount": amount, "method": payment_methods.demo.pk}
        | form_token(client, "/panel/top-up/"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert not Payment.objects.exists()


def test_bank_transfer_top_up_leads_to_the_payment_page(client, customer, payment_methods):
    response = client.post(
        "/panel/top-up/",
        {"amount": "5000", "method": payment_methods.bank.pk}
        | form_token(client, "/panel/top-up/"),
    )
    payment = Payment.objects.get()
    assert response["Location"] == f"/panel/payments/{payment.number}/"
    assert payment.number in client.get(response["Location"]).content.decode()


def test_invoices_list_detail_and_pdf(client, customer):
    invoice = Invoice.objects.get()
    listing = client.get("/panel/invoices/").content.decode()
    assert invoice.number in listing and "199,00" in listing
    assert invoice.number in client.get(f"/panel/invoices/{invoice.number}/").content.decode()
    pdf = client.get(f"/panel/invoices/{invoice.number}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_balance_history_and_csv(client, customer):
    page = client.get("/panel/balance/").content.decode()
    invoice = Invoice.objects.get()
    assert invoice.number in page and "101,00" in page
    # Issue 12, item 7: a Russian customer's file is Russian, split by `;`, decimal commas.
    download = client.get("/panel/balance.csv")
    assert (
        download["Content-Disposition"] == f'attachment; filename="balance-{customer.number}.csv"'
    )
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Дата", "Операция", "Номер", "Зачисление", "Списание", "Баланс", "Валюта"]
    assert [r[3:7] for r in rows[1:]] == [
        ["300,00", "", "300,00", "RUB"],
        ["", "199,00", "101,00", "RUB"],
    ]
    assert rows[2][2] == invoice.number and rows[1][0].count(".") == 2  # dd.mm.yyyy hh:mm

    english = client.get("/panel/balance.csv", HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Operation", "Number", "Credit", "Debit", "Balance", "Currency"]
    assert [r[3:6] for r in rows[1:]] == [["300.00", "", "300.00"], ["", "199.00", "101.00"]]


def test_balance_history_as_xlsx(client, customer):
    from openpyxl import load_workbook

    download = client.get("/panel/balance.xlsx")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Дата", "Операция", "Номер", "Зачисление", "Списание", "Баланс", "Валюта")
    assert [r[3:6] for r in rows[1:]] == [(300, None, 300), (None, 199, 101)]
    assert isinstance(rows[1][0], dt.datetime)
    assert sheet.cell(row=2, column=4).number_format == "0.00"
    assert "/panel/balance.xlsx" in client.get("/panel/balance/").content.decode()


def test_auto_renew_toggle_and_cancel_pending_order(client, customer, catalog):
    client.post(f"/panel/services/{customer.service.pk}/auto-renew/", {"auto_renew": "off"})
    customer.service.refresh_from_db()
    assert customer.service.auto_renew is False
    pending = place_order(
        billing_account=customer, price=catalog.price(catalog.pro, 12), identifier="b.ru"
    )
    client.post(
        f"/panel/services/{pending.pk}/cancel/",
        form_token(client, f"/panel/services/{pending.pk}/"),
    )
    pending.refresh_from_db()
    assert pending.status == ServiceStatus.CANCELLED


def test_money_moving_actions_refuse_get(client, customer):
    invoice = Invoice.objects.get()
    assert client.get(f"/panel/invoices/{invoice.number}/pay/").status_code == 405
    assert client.get(f"/panel/services/{customer.service.pk}/cancel/").status_code == 405
    assert client.get(f"/panel/services/{customer.service.pk}/auto-renew/").status_code == 405


def test_the_auto_renew_toggle_answers_htmx_with_just_the_toggle(client, customer):
    url = f"/panel/services/{customer.service.pk}/auto-renew/"
    response = client.post(url, {"auto_renew": "off"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode() and 'value="on"' in response.content.decode()
    customer.service.refresh_from_db()
    assert customer.service.auto_renew is False


def test_the_renew_page_says_its_date_without_a_double_period(client, customer):
    """Issue 12, item 10: «28 февраля 2027 г.. Баланс»."""
    page = client.get(f"/panel/services/{customer.service.pk}/renew/").content.decode()
    start = customer.service.paid_until.strftime("%d.%m.%Y")
    assert f"Новый период начнётся {start}." in page
    assert "г.." not in page
