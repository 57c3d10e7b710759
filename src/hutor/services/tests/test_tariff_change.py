import datetime as dt

import pytest
import time_machine

from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceKind
from hutor.ledger import queries as ledger_queries
from hutor.services.actions import change_tariff, place_order, renew, tariff_change_quote
from hutor.services.exceptions import TariffChangeNotAllowed

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def service(catalog, account_factory, top_up):
    with time_machine.travel(NOON, tick=False):
        account = account_factory()
        top_up(account, "5000.00")
        return place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="a.ru"
        )


def test_a_service_renewed_ahead_is_prorated_over_every_paid_period(service, catalog):
    with time_machine.travel(NOON, tick=False):
        renew(service=service, price=catalog.price(catalog.start, 1))  # paid until 26 Jan 2027
        service.refresh_from_db()
        assert service.paid_until == dt.date(2027, 1, 26)
        quote = tariff_change_quote(service=service, new_tariff=catalog.pro)
    # Two whole paid months: 30 days of Nov-Dec and 31 of Dec-Jan, each at (499 - 199).
    assert quote.remaining_days == 61
    assert quote.amount == Money("600.00")


def test_a_tariff_changes_at_most_once_a_day(service, catalog):
    with time_machine.travel(NOON, tick=False):
        change_tariff(service=service, new_tariff=catalog.pro)  # upgrade, paid from the balance
        with pytest.raises(TariffChangeNotAllowed, match=r"once a day|раз в день"):
            change_tariff(service=service, new_tariff=catalog.start)
    with time_machine.travel(NOON + dt.timedelta(days=1), tick=False):
        change_tariff(service=service, new_tariff=catalog.start)
    service.refresh_from_db()
    assert service.tariff == catalog.start


def test_back_and_forth_never_creates_money(service, catalog):
    start_balance = None
    with time_machine.travel(NOON, tick=False):
        start_balance = ledger_queries.balance(service.billing_account)
        change_tariff(service=service, new_tariff=catalog.pro)
    with time_machine.travel(NOON + dt.timedelta(days=1), tick=False):
        change_tariff(service=service, new_tariff=catalog.start)
    # Upgrade for 30 days (300.00), downgrade credit for 29 days (290.00): 10.00 paid for the day.
    assert ledger_queries.balance(service.billing_account) == start_balance - Money("10.00")
    assert Invoice.objects.filter(kind=InvoiceKind.TARIFF_CHANGE).count() == 1


def test_a_tariff_of_another_service_type_is_refused(service, catalog):
    with pytest.raises(TariffChangeNotAllowed):
        tariff_change_quote(service=service, new_tariff=catalog.ru)
