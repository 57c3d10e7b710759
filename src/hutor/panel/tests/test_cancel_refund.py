"""The customer cancels a service in the panel and gets its unused paid days back: the confirm
page shows the amount, the POST carries it back, a changed figure is a 409 with the new one."""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.services import cancellations
from hutor.services.actions import place_order, renew
from hutor.services.models import Cancellation, ServiceStatus

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
ORDERED = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CANCELLED = dt.datetime(2027, 2, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def customer(account_factory, client, catalog, top_up):
    with time_machine.travel(ORDERED, tick=False):
        account = account_factory(password=PASSWORD)
        top_up(account, "1000.00")
        account.service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 3), identifier="shop.ru"
        )
    return account


def test_the_customer_sees_the_amount_confirms_and_gets_it_back(client, customer):
    url = f"/panel/services/{customer.service.pk}/cancel-service/"
    with time_machine.travel(CANCELLED, tick=False):
        client.login(email=customer.contact_email, password=PASSWORD)
        detail = client.get(f"/panel/services/{customer.service.pk}/").content.decode()
        # (Russian wording once the lead's catalogue has the new strings: "Отменить и вернуть")
        assert url in detail and "164,70" in detail
        page = client.get(url).content.decode()
        assert 'name="amount" value="164.70"' in page and "27" in page
        before = ledger_queries.balance(customer)
        response = client.post(url, {"amount": "164.70"})
        assert response.status_code == 302
        assert ledger_queries.balance(customer) == before + Money("164.70")
        again = client.post(url, {"amount": "164.70"})  # a double click: the first one did it
        assert again.status_code == 302
        shown = client.get(f"/panel/services/{customer.service.pk}/").content.decode()
    assert 'data-testid="cancelled"' in shown and "2 февраля 2027" in shown
    customer.service.refresh_from_db()
    assert customer.service.status == ServiceStatus.TERMINATED
    assert JournalEntry.objects.filter(kind=EntryKind.CANCELLATION_CREDIT).count() == 1


def test_a_figure_that_changed_meanwhile_is_a_409_with_the_new_one(
    client, customer, catalog, top_up
):
    url = f"/panel/services/{customer.service.pk}/cancel-service/"
    with time_machine.travel(CANCELLED, tick=False):
        client.login(email=customer.contact_email, password=PASSWORD)
        assert 'value="164.70"' in client.get(url).content.decode()
        top_up(customer, "549.00")
        renew(service=customer.service, price=catalog.price(catalog.start, 3))  # in another tab
        before = ledger_queries.balance(customer)
        response = client.post(url, {"amount": "164.70"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "713,70" in page and 'value="713.70"' in page  # 164.70 + the renewed 549.00
    assert ledger_queries.balance(customer) == before
    assert not Cancellation.objects.exists()


@pytest.mark.parametrize("amount", ["", "abc", "-1", "1e9", "164.701", "NaN"])
def test_a_bad_amount_is_a_clear_400_and_moves_nothing(client, customer, amount):
    url = f"/panel/services/{customer.service.pk}/cancel-service/"
    with time_machine.travel(CANCELLED, tick=False):
        client.login(email=customer.contact_email, password=PASSWORD)
        before = ledger_queries.balance(customer)
        response = client.post(url, {"amount": amount})
        assert response.status_code in (400, 409)
        assert ledger_queries.balance(customer) == before
    assert not Cancellation.objects.exists()


def test_a_domain_is_cancelled_with_nothing_back_and_the_reason_shown(client, customer, catalog):
    with time_machine.travel(ORDERED, tick=False):
        domain = place_order(
            billing_account=customer, price=catalog.price(catalog.ru, 12), identifier="shop.ru"
        )
    url = f"/panel/services/{domain.pk}/cancel-service/"
    with time_machine.travel(CANCELLED, tick=False):
        client.login(email=customer.contact_email, password=PASSWORD)
        page = client.get(url).content.decode()
        with translation.override("ru"):
            reason = str(cancellations.REASONS[cancellations.NOT_REFUNDABLE])
        assert 'value="0.00"' in page and reason in page  # the reason, in the reader's language
        before = ledger_queries.balance(customer)
        assert client.post(url, {"amount": "0.00"}).status_code == 302
        assert ledger_queries.balance(customer) == before
    domain.refresh_from_db()
    assert domain.status == ServiceStatus.TERMINATED
    assert Cancellation.objects.get(service=domain).reason == "not_refundable"
