"""Issue 11's three tariff-change findings, replayed as a customer would, through the billing
panel on the demo catalog, with the outcome docs/billing-rules.md now gives for each.

Each failed before the rule moved onto what was actually paid (services.PaidPeriod):
1. a .com domain moved onto the .ru tariff and got 941.00 back;
2. an upgrade paid after a renewal moved the renewed year onto the dearer tariff, and the
   downgrade next day gave back 2,202.08 that was never paid;
3. a tariff change with an open 12-month renewal prorated over the unpaid 12-month price, and
   the renewed year was then held on Профи but billed as Бизнес.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hutor.catalog.models import Tariff
from hutor.core.money import Money
from hutor.demo import data
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.ledger import queries as ledger_queries
from hutor.panel.tests.forms import form_token
from hutor.services.actions import place_order
from hutor.services.models import PaidPeriod, Service, TariffChange, TariffChangeStatus

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
DAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo_catalog(db):
    data.load_provider()
    data.load_catalog()


def tariff(code: str) -> Tariff:
    return Tariff.objects.get(code=code)


def price(code: str, months: int):
    return tariff(code).prices.get(period_months=months)


def balance(account) -> Money:
    return ledger_queries.balance(account)


@pytest.fixture
def customer(demo_catalog, account_factory, client):
    account = account_factory(password=PASSWORD)
    return account


def login(client, account):
    """Log in at the moment the test travels to (the panel's idle timeout counts from it)."""
    assert client.login(email=account.contact_email, password=PASSWORD)


def change(client, service, code):
    login(client, service.billing_account)
    page = f"/panel/services/{service.pk}/tariff/"
    return client.post(page, {"tariff": tariff(code).pk, **form_token(client, page)})


def renew(client, service, code, months):
    login(client, service.billing_account)
    page = f"/panel/services/{service.pk}/renew/"
    return client.post(page, {"price": price(code, months).pk, **form_token(client, page)})


def test_finding_1_a_domain_cannot_change_its_zone(customer, client, top_up):
    with time_machine.travel(DAY, tick=False):
        top_up(customer, "1190.00")
        service = place_order(
            billing_account=customer, price=price("com", 12), identifier="carol-shop.com"
        )
        assert service.status == "active" and balance(customer) == Money("0.00")

        response = change(client, service, "ru")
        if response.status_code == 302:
            response = client.get(response["Location"])
        page = response.content.decode()
        assert "зоне" in page or "zone" in page  # told why, in the reader's language
        service.refresh_from_db()
        assert service.tariff.code == "com"
        assert balance(customer) == Money("0.00")  # not 941.00
        assert not TariffChange.objects.exists()


def test_finding_2_no_credit_for_a_price_never_paid(customer, client, top_up):
    """Zero balance: start→business (the 200 upgrade stays unpaid), renew 12 months at
    start's price, top up 2108, next day business→start. The renewal withdraws the unpaid
    upgrade (its quote no longer holds), so the year is start's, paid at start's price, and
    nothing comes back."""
    with time_machine.travel(DAY, tick=False):
        top_up(customer, "199.00")
        service = place_order(
            billing_account=customer, price=price("start", 1), identifier="farm.ru"
        )
        paid_until = service.paid_until
        change(client, service, "business")
        upgrade = Invoice.objects.get(kind=InvoiceKind.TARIFF_CHANGE)
        assert upgrade.status == InvoiceStatus.UNPAID and upgrade.total == Decimal("200.00")

        renew(client, service, "start", 12)
        upgrade.refresh_from_db()
        assert upgrade.status == InvoiceStatus.CANCELLED
        top_up(customer, "2108.00")
        service.refresh_from_db()
        assert service.tariff.code == "start"
        assert service.paid_until == dt.date(2027, 12, 30)
        assert balance(customer) == Money("200.00")
    with time_machine.travel(DAY + dt.timedelta(days=1), tick=False):
        change(client, service, "start")  # it is start already: refused, nothing moves
        assert balance(customer) == Money("200.00")
    assert paid_until == dt.date(2026, 12, 30)


def test_finding_2_paid_in_order_the_downgrade_credits_what_was_paid(customer, client, top_up):
    """The same sequence with the upgrade paid first: the renewal is then business's, at
    business's price, and the downgrade credits the unused part of what was paid for each
    period, at the price paid for it: never more than the customer put in."""
    with time_machine.travel(DAY, tick=False):
        top_up(customer, "199.00")
        service = place_order(
            billing_account=customer, price=price("start", 1), identifier="fair.ru"
        )
        top_up(customer, "200.00")
        change(client, service, "business")  # 30 of 30 days: (399 − 199) = 200.00, paid
        service.refresh_from_db()
        assert service.tariff.code == "business" and balance(customer) == Money("0.00")
        top_up(customer, "3948.00")
        renew(client, service, "business", 12)
        service.refresh_from_db()
        assert service.paid_until == dt.date(2027, 12, 30)
        paid_in = Decimal("199.00") + Decimal("200.00") + Decimal("3948.00")
    with time_machine.travel(DAY + dt.timedelta(days=1), tick=False):
        change(client, service, "start")
        service.refresh_from_db()
        assert service.tariff.code == "start"
        # 29 of 30 days of the month: 399 − 199 over 29/30 → 193.33; the whole renewed year:
        # 3948 − 1908 = 2040.00. 1 day of business was used: 399/30 = 13.30.
        assert balance(customer) == Money("2233.33")
        kept = sum(p.amount for p in PaidPeriod.objects.filter(service=service))
        assert kept + balance(customer).amount == paid_in


def test_finding_3_an_open_renewal_is_rebilled_at_the_new_tariff(customer, client, top_up):
    with time_machine.travel(DAY, tick=False):
        top_up(customer, "1137.00")
        service = place_order(
            billing_account=customer, price=price("business", 3), identifier="three.ru"
        )
        assert service.paid_until == dt.date(2027, 2, 28)
        renewal = renew(client, service, "business", 12)
        assert renewal.status_code == 302
        open_renewal = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
        assert open_renewal.total == Decimal("3948.00")
        service.refresh_from_db()
        assert service.period_months == 3  # changes only when the renewal is paid

        login(client, customer)
        options = client.get(f"/panel/services/{service.pk}/tariff/").content.decode()
        # 90 paid days of 90, at (2127 − 1137): the 3-month prices, not the 12-month ones.
        assert "990,00" in options

        change(client, service, "pro")
        open_renewal.refresh_from_db()
        assert open_renewal.status == InvoiceStatus.CANCELLED
        upgrade = Invoice.objects.get(kind=InvoiceKind.TARIFF_CHANGE)
        assert upgrade.total == Decimal("990.00") + Decimal("7188.00")
        top_up(customer, str(upgrade.total))
        service.refresh_from_db()
        assert service.tariff.code == "pro"
        assert service.paid_until == dt.date(2028, 2, 28)
        year = PaidPeriod.objects.get(service=service, start=dt.date(2027, 2, 28))
        assert (year.tariff_code, year.amount) == ("pro", Decimal("7188.00"))
        assert balance(customer) == Money("0.00")
        assert Service.objects.get(pk=service.pk).tariff_changes.get().status == (
            TariffChangeStatus.APPLIED
        )
