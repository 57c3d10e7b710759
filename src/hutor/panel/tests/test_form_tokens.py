"""One-time tokens on the panel's money forms (issue 11, finding 6): a double click, a
resubmitted form or 20 concurrent POSTs act once, and the repeat is shown the first result."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client

from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.panel.models import FormSubmission
from hutor.panel.tests.forms import form_token
from hutor.payments.models import Payment
from hutor.services.actions import place_order
from hutor.services.models import Service, ServiceStatus

PASSWORD = "Pass-word-2026"
NOON = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def customer(account_factory, catalog, payment_methods, top_up):
    """An active hosting service (Start, 199 a month) and 995 on the balance: five renewals."""
    account = account_factory(password=PASSWORD)
    top_up(account, "199.00")
    account.service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="shop.ru"
    )
    top_up(account, "995.00")
    return account


def logged_in(account) -> Client:
    client = Client()
    assert client.login(email=account.contact_email, password=PASSWORD)
    return client


def snapshot() -> tuple[int, int, int, int]:
    return (
        Invoice.objects.count(),
        Payment.objects.count(),
        JournalEntry.objects.count(),
        Service.objects.filter(status=ServiceStatus.CANCELLED).count(),
    )


def messages_after(client: Client, response) -> str:
    return client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()


# --- Sequential double POSTs (SQLite and PostgreSQL) -----------------------------------------


@pytest.mark.django_db
class TestDoublePost:
    """Regression tests for finding 6: each failed before the forms had tokens."""

    @pytest.fixture(autouse=True)
    def fixed_day(self):
        with time_machine.travel(NOON, tick=False):
            yield

    def test_renewal(self, customer, catalog):
        client = logged_in(customer)
        url = f"/panel/services/{customer.service.pk}/renew/"
        data = {"price": catalog.price(catalog.start, 1).pk} | form_token(client, url)
        first = client.post(url, data)
        second = client.post(url, data)
        invoice = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
        assert invoice.status == InvoiceStatus.PAID
        assert first["Location"] == second["Location"] == f"/panel/invoices/{invoice.number}/"
        assert ledger_queries.balance(customer) == Money("796.00")  # 995 - one month
        customer.service.refresh_from_db()
        assert customer.service.paid_until == dt.date(2027, 1, 26)  # extended once
        submission = FormSubmission.objects.get()
        assert submission.result == f"invoice:{invoice.number}"
        assert submission.billing_account_id == customer.pk

    def test_upgrade(self, customer, catalog):
        client = logged_in(customer)
        url = f"/panel/services/{customer.service.pk}/tariff/"
        data = {"tariff": catalog.pro.pk} | form_token(client, url)
        first = client.post(url, data)
        second = client.post(url, data)
        invoice = Invoice.objects.get(kind=InvoiceKind.TARIFF_CHANGE)
        assert first["Location"] == second["Location"] == f"/panel/invoices/{invoice.number}/"

    def test_downgrade(self, customer, catalog, top_up):
        client = logged_in(customer)
        url = f"/panel/services/{customer.service.pk}/tariff/"
        client.post(url, {"tariff": catalog.pro.pk} | form_token(client, url))  # paid at once
        with time_machine.travel(NOON + dt.timedelta(days=15), tick=False):
            client = logged_in(customer)
            before = ledger_queries.balance(customer)
            data = {"tariff": catalog.start.pk} | form_token(client, url)
            first = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
            second = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
            page = messages_after(client, second)
        assert first["Location"] == second["Location"] == f"/panel/services/{customer.service.pk}/"
        assert "The tariff is changed to Start." in page
        assert "once a day" not in page
        assert ledger_queries.balance(customer) == before + Money("150.00")  # credited once

    def test_cancel_order(self, customer, catalog):
        pending = place_order(
            billing_account=customer, price=catalog.price(catalog.vps1, 12), identifier="vps.ru"
        )
        client = logged_in(customer)
        url = f"/panel/services/{pending.pk}/cancel/"
        data = form_token(client, f"/panel/services/{pending.pk}/")
        first = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
        messages_after(client, first)
        second = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
        page = messages_after(client, second)
        assert first["Location"] == second["Location"] == f"/panel/services/{pending.pk}/"
        assert "The order is cancelled." in page  # the first result, not a refusal
        pending.refresh_from_db()
        assert pending.status == ServiceStatus.CANCELLED

    def test_pay_invoice_from_the_balance(self, customer, catalog, top_up):
        client = logged_in(customer)
        url = f"/panel/services/{customer.service.pk}/renew/"
        client.post(url, {"price": catalog.price(catalog.start, 12).pk} | form_token(client, url))
        invoice = Invoice.objects.get(kind=InvoiceKind.RENEWAL, status=InvoiceStatus.UNPAID)
        top_up(customer, "995.00")  # 1990 now; settled by the top-up itself
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        # Another unpaid invoice, paid with the button, twice.
        second_service = place_order(
            billing_account=customer, price=catalog.price(catalog.pro, 1), identifier="b.ru"
        )
        order = Invoice.objects.get(lines__service=second_service)
        assert order.status == InvoiceStatus.UNPAID
        top_up_without_settling = Money("499.00")
        from hutor.ledger.actions import clearing_account, customer_account, post
        from hutor.ledger.models import EntryKind

        post(
            lines=[
                (clearing_account("test", "RUB"), -top_up_without_settling),
                (customer_account(customer), top_up_without_settling),
            ],
            kind=EntryKind.TOP_UP,
            reference="T-no-settle",
            billing_account=customer,
        )
        data = form_token(client, f"/panel/invoices/{order.number}/")
        first = client.post(f"/panel/invoices/{order.number}/pay/", data, HTTP_ACCEPT_LANGUAGE="en")
        messages_after(client, first)
        entries = JournalEntry.objects.count()
        second = client.post(
            f"/panel/invoices/{order.number}/pay/", data, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert first["Location"] == second["Location"] == f"/panel/invoices/{order.number}/"
        assert f"Invoice {order.number} is paid." in messages_after(client, second)
        assert JournalEntry.objects.count() == entries
        assert FormSubmission.objects.filter(action="pay_invoice").count() == 1

    @pytest.mark.parametrize("page", ["/panel/", "/panel/top-up/"])
    def test_top_up(self, customer, payment_methods, page):
        client = logged_in(customer)
        data = {"amount": "1500", "method": payment_methods.bank.pk} | form_token(client, page)
        first = client.post("/panel/top-up/", data)
        second = client.post("/panel/top-up/", data)
        payment = Payment.objects.get()
        assert first["Location"] == second["Location"] == f"/panel/payments/{payment.number}/"
        assert FormSubmission.objects.get().result == f"payment:{payment.number}"

    def test_an_online_top_up_repeated_goes_to_the_same_payment(self, customer, payment_methods):
        client = logged_in(customer)
        data = {"amount": "700", "method": payment_methods.demo.pk} | form_token(client, "/panel/")
        first = client.post("/panel/top-up/", data)
        second = client.post("/panel/top-up/", data)
        payment = Payment.objects.get()
        assert first["Location"] == second["Location"]
        assert payment.number in second["Location"]

    def test_a_refused_action_frees_its_token(self, customer, catalog):
        """The claim is rolled back with the action: the same form can be submitted again."""
        client = logged_in(customer)
        url = f"/panel/services/{customer.service.pk}/tariff/"
        data = form_token(client, url)
        refused = client.post(url, data | {"tariff": catalog.ru.pk}, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 200 and "Choose a tariff." in refused.content.decode()
        assert not FormSubmission.objects.exists()
        assert client.post(url, data | {"tariff": catalog.pro.pk}).status_code == 302
        # Refused inside the action (one change a day): nothing kept, the token still good.
        again = form_token(client, url)
        refused = client.post(url, again | {"tariff": catalog.start.pk}, HTTP_ACCEPT_LANGUAGE="en")
        assert "once a day" in refused.content.decode()
        assert FormSubmission.objects.count() == 1
        with time_machine.travel(NOON + dt.timedelta(days=1), tick=False):
            client = logged_in(customer)
            done = client.post(url, again | {"tariff": catalog.start.pk})
        assert done["Location"] == f"/panel/services/{customer.service.pk}/"
        assert FormSubmission.objects.count() == 2
        customer.service.refresh_from_db()
        assert customer.service.tariff == catalog.start


# --- Hostile tokens --------------------------------------------------------------------------


def _forms(customer, catalog, payment_methods):
    """(form page, action URL, form data) of every money form of the customer's panel."""
    service = customer.service
    pending = place_order(
        billing_account=customer, price=catalog.price(catalog.vps1, 1), identifier="vps.ru"
    )
    invoice = Invoice.objects.filter(lines__service=pending).distinct().get()
    renew = f"/panel/services/{service.pk}/renew/"
    tariff = f"/panel/services/{service.pk}/tariff/"
    return {
        "renew": (renew, renew, {"price": catalog.price(catalog.start, 1).pk}),
        "change_tariff": (tariff, tariff, {"tariff": catalog.pro.pk}),
        "cancel_order": (
            f"/panel/services/{pending.pk}/",
            f"/panel/services/{pending.pk}/cancel/",
            {},
        ),
        "pay_invoice": (
            f"/panel/invoices/{invoice.number}/",
            f"/panel/invoices/{invoice.number}/pay/",
            {},
        ),
        "top_up": (
            "/panel/top-up/",
            "/panel/top-up/",
            {"amount": "1500", "method": payment_methods.bank.pk},
        ),
    }


FORMS = ["renew", "change_tariff", "cancel_order", "pay_invoice", "top_up"]


@pytest.mark.django_db
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "hostile",
    ["missing", "empty", "garbage", "bare-uuid", "huge", "another-account", "another-form"],
)
def test_a_form_without_its_own_token_is_refused_and_moves_nothing(
    customer, catalog, payment_methods, account_factory, form, hostile
):
    forms = _forms(customer, catalog, payment_methods)
    _page, action, data = forms[form]
    client = logged_in(customer)
    if hostile == "another-account":
        stranger = account_factory(password=PASSWORD)
        # The stranger's own token of the same form (their top-up page renders one too).
        other = logged_in(stranger)
        token = form_token(other, "/panel/top-up/")["form_token"] if form == "top_up" else None
        if token is None:
            from hutor.panel import submissions

            token = submissions.issue(stranger, form)
    elif hostile == "another-form":
        other_form = "top_up" if form != "top_up" else "renew"
        token = form_token(client, forms[other_form][0])["form_token"]
    else:
        token = {
            "missing": None,
            "empty": "",
            "garbage": "'; DROP TABLE panel_formsubmission; --",
            "bare-uuid": "0b7c1f9e-4a39-4d55-9a8e-3f0c2b1d7e6a",
            "huge": "a" * 100_000,
        }[hostile]
    if token is not None:
        data = data | {"form_token": token}
    before = snapshot()
    response = client.post(action, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert "one-time token" in text and "Reload the page" in text
    assert snapshot() == before
    assert not FormSubmission.objects.exists()


@pytest.mark.django_db
def test_the_token_error_is_translated(customer, catalog):
    client = logged_in(customer)
    url = f"/panel/services/{customer.service.pk}/renew/"
    response = client.post(url, {"price": catalog.price(catalog.start, 1).pk})
    assert response.status_code == 400
    assert "одноразов" in response.content.decode()


# --- Concurrent POSTs (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_renewal_posts_with_one_token_make_one_renewal(customer, catalog):
    """Regression test for finding 6: 20 concurrent POSTs of one renewal form with 995 on the
    balance made 5 paid renewals and 1 open invoice."""
    url = f"/panel/services/{customer.service.pk}/renew/"
    data = {"price": catalog.price(catalog.start, 1).pk} | form_token(logged_in(customer), url)
    threads_n = 20
    barrier = threading.Barrier(threads_n)
    answers: list[str] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            client = logged_in(customer)
            barrier.wait()
            response = client.post(url, data)
            answers.append(response.get("Location", str(response.status_code)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    invoice = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
    assert answers == [f"/panel/invoices/{invoice.number}/"] * threads_n
    assert invoice.status == InvoiceStatus.PAID
    assert ledger_queries.balance(customer) == Money("796.00")
    assert FormSubmission.objects.count() == 1
