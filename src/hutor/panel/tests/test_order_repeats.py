"""The order form of a new customer: a double submit shows the first order (issue 11,
finding 8), and ordering as a new customer is rate-limited (finding 11)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from hutor.accounts.models import BillingAccount
from hutor.invoices.models import Invoice
from hutor.notifications.models import OutboxEmail
from hutor.panel.tests.test_order_flow import VALID, order_form
from hutor.services.models import Service

URL = "/order/hosting/start/"


def new_customer_order(client: Client, catalog, **changes: str) -> dict[str, str]:
    return (
        order_form(client, URL)
        | VALID
        | {"price": str(catalog.price(catalog.start, 1).pk)}
        | changes
    )


def counts() -> tuple[int, int, int, int]:
    return (
        BillingAccount.objects.count(),
        Service.objects.count(),
        Invoice.objects.count(),
        OutboxEmail.objects.count(),
    )


# --- Finding 8: a double submit of a new customer --------------------------------------------


@pytest.mark.django_db
def test_a_double_submit_without_a_session_cookie_shows_the_first_order(client, catalog):
    """Regression test for finding 8: the second POST of a double click (sent before the first
    answer set a session cookie) got «an account with this email already exists, log in»."""
    data = new_customer_order(client, catalog)
    first = client.post(URL, data)
    assert first.status_code == 302
    # The second POST comes from the same browser, but without the cookie the first answer set.
    second_browser = Client()
    second = second_browser.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert second.status_code == 302, second.content.decode()[:2000]
    assert second["Location"] == first["Location"]
    done = second_browser.get(second["Location"])
    account, invoice = BillingAccount.objects.get(), Invoice.objects.get()
    page = done.content.decode()
    assert done.status_code == 200 and account.number in page and invoice.number in page
    assert (Service.objects.count(), Invoice.objects.count()) == (1, 1)


@pytest.mark.django_db
def test_the_token_alone_does_not_show_someone_elses_order(client, catalog):
    """The token stands in the confirmation's address; posting it with another email (or to
    another tariff) is not taken for a repeat, and creates nothing."""
    data = new_customer_order(client, catalog)
    first = client.post(URL, data)
    before = counts()
    stranger = Client()
    other = stranger.post(URL, data | {"email": "other@example.com"}, HTTP_ACCEPT_LANGUAGE="en")
    assert other.status_code == 200
    assert "already used" in other.content.decode()
    assert stranger.get(first["Location"]).status_code == 404
    assert counts() == before


def post_at_once(data: dict[str, str], lag: float) -> list[str]:
    """POST the same form from two cookie-less browsers, the second `lag` seconds after the
    first (a double click); their answers in the order they came."""
    barrier = threading.Barrier(2)
    answers: list[str] = []
    errors: list[BaseException] = []

    def submit(delay: float) -> None:
        try:
            browser = Client()
            barrier.wait()
            time.sleep(delay)
            response = browser.post(URL, data)
            answers.append(response.get("Location") or response.content.decode()[:300])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(delay,)) for delay in (0, lag)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_of_a_new_customer_show_one_order(catalog, settings):
    """Regression test for finding 8 under real concurrency: both answers are the order, at
    whatever point of the first one's transaction the second arrives."""
    settings.HUTOR_ANON_ORDERS_PER_IP_HOUR = 0  # many POSTs from one test address
    lags = [0, 0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.4]
    for i, lag in enumerate(lags):
        data = new_customer_order(Client(), catalog, email=f"race{i}@example.com")
        answers = post_at_once(data, lag)
        service = Service.objects.get(order_token=data["order_token"])
        assert answers == [f"/order/done/{service.order_token}/"] * 2, (lag, answers)
    assert BillingAccount.objects.count() == Service.objects.count() == len(lags)


# --- Finding 11: limits on ordering as a new customer ----------------------------------------


@pytest.mark.django_db
def test_new_customer_orders_are_limited_per_client_address(client, catalog, settings):
    """Regression test for finding 11: 20 orders with new emails made 20 accounts and mail."""
    settings.HUTOR_ANON_ORDERS_PER_IP_HOUR = 5
    answers = []
    for i in range(8):
        browser = Client()
        data = new_customer_order(browser, catalog, email=f"bulk{i}@example.com")
        answers.append(browser.post(URL, data, HTTP_ACCEPT_LANGUAGE="en"))
    assert [r.status_code for r in answers] == [302] * 5 + [429] * 3
    assert "Too many orders from new customers" in answers[-1].content.decode()
    assert BillingAccount.objects.count() == 5
    assert OutboxEmail.objects.count() == 5 * 2  # activation + invoice per order, no more
    # Another address still orders.
    other = Client(REMOTE_ADDR="198.51.100.7")
    data = new_customer_order(other, catalog, email="someone@example.com")
    assert other.post(URL, data).status_code == 302


@pytest.mark.django_db
def test_the_limit_message_is_translated(catalog, settings):
    settings.HUTOR_ANON_ORDERS_PER_IP_HOUR = 1
    for i in range(2):
        browser = Client()
        response = browser.post(
            URL, new_customer_order(browser, catalog, email=f"r{i}@example.com")
        )
    assert response.status_code == 429
    assert "Слишком много заказов" in response.content.decode()


@pytest.mark.django_db
def test_new_customer_orders_are_limited_globally(catalog, settings):
    settings.HUTOR_ANON_ORDERS_PER_IP_HOUR = 100
    settings.HUTOR_ANON_ORDERS_PER_HOUR = 3
    answers = []
    for i in range(5):
        browser = Client(REMOTE_ADDR=f"203.0.113.{i + 1}")
        data = new_customer_order(browser, catalog, email=f"g{i}@example.com")
        answers.append(browser.post(URL, data).status_code)
    assert answers == [302, 302, 302, 429, 429]
    assert BillingAccount.objects.count() == 3


@pytest.mark.django_db
def test_behind_a_proxy_each_client_address_has_its_own_limit(catalog, settings):
    """HUTOR_TRUSTED_PROXY_COUNT: the address is the one the proxy saw, as for logins."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.HUTOR_ANON_ORDERS_PER_IP_HOUR = 1
    answers = []
    for i, address in enumerate(["192.0.2.1", "192.0.2.2", "192.0.2.1"]):
        browser = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)
        data = new_customer_order(browser, catalog, email=f"p{i}@example.com")
        answers.append(browser.post(URL, data).status_code)
    assert answers == [302, 302, 429]


@pytest.mark.django_db
def test_repeats_and_logged_in_customers_are_not_counted(catalog, settings, account_factory):
    settings.HUTOR_ANON_ORDERS_PER_IP_HOUR = 1
    browser = Client()
    data = new_customer_order(browser, catalog)
    first = browser.post(URL, data)
    assert browser.post(URL, data)["Location"] == first["Location"]  # a repeat, not an order
    account = account_factory(password="Pass-word-2026")
    customer = Client()
    customer.login(email=account.contact_email, password="Pass-word-2026")
    for name in ("a.ru", "b.ru"):
        response = customer.post(
            URL,
            order_form(customer, URL)
            | {"price": str(catalog.price(catalog.start, 1).pk), "identifier": name}
            | {"accept_offer": "on"},
        )
        assert response.status_code == 302
