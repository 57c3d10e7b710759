"""The desk's manual invoice (account page → Issue an invoice): free lines, paid from the
balance when it covers it, one invoice per form, bad input shown on the form moving nothing."""

import uuid

import pytest
from django.urls import reverse

from hutor.backoffice.models import AuditEntry, Role
from hutor.core.money import Money
from hutor.invoices.models import Invoice
from hutor.ledger import queries as ledger_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_en(desk_client):
    """desk_en(role) -> (a desk client reading English, its staff user)."""

    def make(role):
        client, staff = desk_client(role)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client, staff

    return make


def _form(**fields):
    return {
        "line_1_description": "Перенос сайта",
        "line_1_quantity": "1",
        "line_1_price": "1 200,00",
        "line_2_description": "Час администрирования",
        "line_2_quantity": "1,5",
        "line_2_price": "200",
        "reason": "Agreed by phone",
        "token": uuid.uuid4().hex,
        **fields,
    }


def test_sales_issues_an_invoice_from_the_account_page(world, desk_en):
    client, staff = desk_en(Role.SALES)
    account = world.other  # an empty balance
    page = client.get(reverse("desk:account", args=[account.number])).content.decode()
    url = reverse("desk:invoice_create", args=[account.number])
    assert url in page
    assert "line_5_price" in client.get(url).content.decode()
    answer = client.post(url, _form(due_date="2099-01-01"))
    assert answer.status_code == 200 and "due date" in answer.content.decode()  # out of range
    answer = client.post(url, _form())
    invoice = Invoice.objects.get(kind="manual")
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "desk:invoice", args=[invoice.number]
    )
    assert invoice.billing_account == account and invoice.status == "unpaid"
    assert invoice.total_money == Money("1500.00")
    shown = client.get(answer["Location"]).content.decode()
    assert invoice.number in shown and "Час администрирования" in shown
    entry = AuditEntry.objects.get(action="invoice.create")
    assert entry.staff == staff and entry.reason == "Agreed by phone"


def test_paid_from_the_balance_at_once(world, desk_en, top_up):
    client, _staff = desk_en(Role.SALES)
    account = world.other
    top_up(account, "2000.00")
    client.post(reverse("desk:invoice_create", args=[account.number]), _form())
    invoice = Invoice.objects.get(kind="manual")
    assert invoice.status == "paid" and invoice.settlement_entry is not None
    assert ledger_queries.balance(account) == Money("500.00")


def test_the_same_form_sent_twice_issues_one_invoice(world, desk_en):
    client, _staff = desk_en(Role.SALES)
    url = reverse("desk:invoice_create", args=[world.other.number])
    data = _form()
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    assert first.status_code == 302
    number = Invoice.objects.get(kind="manual").number
    assert f"Invoice {number} was already issued" in second.content.decode()
    assert AuditEntry.objects.filter(action="invoice.create").count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "line_1_description": "",
                "line_1_quantity": "",
                "line_1_price": "",
                "line_2_description": "",
                "line_2_quantity": "",
                "line_2_price": "",
            },
            "at least one line",
        ),
        ({"line_1_price": "-5"}, "Line 1: the unit price must be positive"),
        ({"line_2_price": "10.005"}, "Line 2: the unit price must be positive"),
        ({"line_1_quantity": "1.0005"}, "Line 1: the quantity must be positive"),
        ({"line_1_price": "abc"}, "Enter a number."),
        ({"line_1_description": ""}, "Line 1: write what it is for."),
        ({"reason": ""}, "This field is required."),
    ],
)
def test_bad_input_is_shown_on_the_form_and_moves_nothing(world, desk_en, fields, message):
    client, _staff = desk_en(Role.SALES)
    balance = ledger_queries.balance(world.account)
    answer = client.post(
        reverse("desk:invoice_create", args=[world.account.number]), _form(**fields)
    )
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Invoice.objects.filter(kind="manual").exists()
    assert not AuditEntry.objects.filter(action="invoice.create").exists()
    assert ledger_queries.balance(world.account) == balance


def test_russian_words_and_support_is_refused(world, desk_client):
    client, _staff = desk_client(Role.SALES)
    url = reverse("desk:invoice_create", args=[world.account.number])
    page = client.get(url, headers={"Accept-Language": "ru"}).content.decode()
    assert "Выставить счёт" in page and "Строка 1: цена за единицу" in page
    answer = client.post(url, _form(line_1_price="-5"), headers={"Accept-Language": "ru"})
    assert "Строка 1: цена должна быть положительной" in answer.content.decode()
    support, _user = desk_client(Role.SUPPORT)
    assert support.get(url).status_code == 403
    assert support.post(url, _form()).status_code == 403
    assert not Invoice.objects.filter(kind="manual").exists()


def test_its_revenue_is_reported_as_manual_invoices(world, desk_en, top_up):
    client, _staff = desk_en(Role.ACCOUNTANT)
    top_up(world.other, "2000.00")
    client.post(reverse("desk:invoice_create", args=[world.other.number]), _form())
    csv = client.get(reverse("desk:report", args=["revenue"]) + "?format=csv")
    assert csv.status_code == 200
    [row] = [line for line in csv.content.decode().splitlines() if "Manual invoices" in line]
    assert "1500" in row
