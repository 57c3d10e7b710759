import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus, LineKind
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.notifications.models import OutboxEmail
from hutor.services.actions import cancel_order, order_invoice, place_order, renew
from hutor.services.calculations import add_months
from hutor.services.exceptions import InvalidIdentifier, ServiceError, ServiceNotPending
from hutor.services.models import ProvisioningTask, ServiceStatus

pytestmark = pytest.mark.django_db

MOSCOW_NOON = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(MOSCOW_NOON, tick=False):
        yield


def test_an_order_creates_a_pending_service_and_a_numbered_invoice_with_period_and_setup(
    catalog, account_factory
):
    account = account_factory()
    service = place_order(
        billing_account=account, price=catalog.price(catalog.vps1, 1), identifier="vps1.example.com"
    )
    assert service.status == ServiceStatus.PENDING and service.paid_until is None
    invoice = order_invoice(service)
    assert invoice.number == "26-000001"
    assert invoice.kind == InvoiceKind.ORDER and invoice.status == InvoiceStatus.UNPAID
    assert invoice.total == 1490  # 990 + setup 500
    period, setup = invoice.lines.order_by("position")
    assert period.kind == LineKind.PERIOD and period.amount == 990
    assert (period.period_start, period.period_end) == (
        dt.date(2026, 11, 26),
        dt.date(2026, 12, 26),
    )
    assert "vps1.example.com" in period.description_ru and "26.11.2026" in period.description_ru
    assert setup.kind == LineKind.SETUP and setup.amount == 500
    assert invoice.due_date == dt.date(2026, 12, 1)
    assert invoice.payer["number"] == account.number
    assert invoice.provider["inn"] == "7707083893"
    assert OutboxEmail.objects.filter(key="invoice-issued:26-000001").exists()


def test_an_order_is_paid_at_once_when_the_balance_covers_it(catalog, account_factory, top_up):
    account = account_factory()
    top_up(account, "1000.00")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 3), identifier="shop.ru"
    )
    invoice = order_invoice(service)
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.settlement_entry.reference == invoice.number
    assert service.status == ServiceStatus.ACTIVE
    assert service.paid_until == dt.date(2027, 2, 26)
    assert ledger_queries.balance(account).amount == 451  # 1000 - 549
    task = ProvisioningTask.objects.get(service=service)
    assert (task.operation, task.module, task.status) == ("create", "manual", "todo")


def test_line_texts_print_the_last_paid_day_so_periods_do_not_overlap(
    catalog, account_factory, top_up
):
    """Issue 12, item 6: the order's «26.11.2026–26.02.2027» and the renewal's
    «26.02.2027–26.02.2028» seemed to share a day; the half-open [start, end) stays inside,
    the text ends on the last paid day."""
    account = account_factory()
    top_up(account, "5000.00")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 3), identifier="shop.ru"
    )
    ordered = order_invoice(service).lines.get(kind=LineKind.PERIOD)
    assert ordered.period_end == dt.date(2027, 2, 26)  # the first unpaid day, as before
    assert ordered.description_ru.endswith("(26.11.2026–25.02.2027)")
    assert ordered.description_en.endswith("(11/26/2026–02/25/2027)")

    service.refresh_from_db()
    renewal = renew(service=service, price=catalog.price(catalog.start, 12))
    renewed = renewal.lines.get(kind=LineKind.PERIOD)
    assert renewed.period_start == dt.date(2027, 2, 26)
    assert renewed.description_ru.endswith("(26.02.2027–25.02.2028)")


def test_settlement_pays_oldest_first_while_the_balance_covers_and_never_twice(
    catalog, account_factory, top_up
):
    account = account_factory()
    first = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="a.ru"
    )
    second = place_order(
        billing_account=account, price=catalog.price(catalog.pro, 1), identifier="b.ru"
    )
    third = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="c.ru"
    )
    top_up(account, "600.00")  # covers 199 + 499? no: 199 then 499 > 401 left -> stop
    statuses = [order_invoice(s).status for s in (first, second, third)]
    assert statuses == [InvoiceStatus.PAID, InvoiceStatus.UNPAID, InvoiceStatus.UNPAID]
    top_up(account, "100.00")  # 501: pays the 499, then 2 left < 199
    statuses = [order_invoice(s).status for s in (first, second, third)]
    assert statuses == [InvoiceStatus.PAID, InvoiceStatus.PAID, InvoiceStatus.UNPAID]
    assert ledger_queries.balance(account).amount == 2
    settlements = JournalEntry.objects.filter(kind="settlement", billing_account=account)
    assert settlements.count() == 2


def test_the_same_order_token_orders_once(catalog, account_factory):
    account = account_factory()
    token = uuid.uuid4()
    price = catalog.price(catalog.start, 1)
    first = place_order(billing_account=account, price=price, identifier="x.ru", order_token=token)
    again = place_order(billing_account=account, price=price, identifier="x.ru", order_token=token)
    assert first.pk == again.pk
    assert Invoice.objects.count() == 1


def test_another_account_cannot_reuse_an_order_token(catalog, account_factory):
    token = uuid.uuid4()
    price = catalog.price(catalog.start, 1)
    place_order(
        billing_account=account_factory(), price=price, identifier="x.ru", order_token=token
    )
    with pytest.raises(ServiceError):
        place_order(
            billing_account=account_factory(), price=price, identifier="y.ru", order_token=token
        )


@pytest.mark.parametrize(
    ("tariff", "identifier", "stored"),
    [
        ("rf", "Пример.РФ", "пример.рф"),
        ("rf", "xn--e1afmkfd.xn--p1ai", "пример.рф"),
        ("ru", "Example.RU.", "example.ru"),
        ("start", "мой-сайт.рф", "мой-сайт.рф"),
    ],
)
def test_domain_names_including_idn_are_normalised(
    catalog, account_factory, tariff, identifier, stored
):
    price = getattr(catalog, tariff).prices.order_by("period_months").first()
    service = place_order(billing_account=account_factory(), price=price, identifier=identifier)
    assert service.identifier == stored


@pytest.mark.parametrize(
    ("tariff", "identifier", "message"),
    [
        ("ru", "example.com", "registers domains in .ru"),
        ("start", "example", "not a complete domain name"),
        ("start", "http://example.ru", "without http://"),
        ("start", "exa mple.ru", "no spaces"),
        ("start", "-bad-.ru", "not a valid domain name"),
        ("start", "a" * 64 + ".ru", "not a valid domain name"),
        ("start", "", "Enter a domain name"),
    ],
)
def test_malformed_identifiers_are_refused_and_nothing_is_created(
    catalog, account_factory, tariff, identifier, message
):
    account = account_factory()
    price = getattr(catalog, tariff).prices.order_by("period_months").first()
    with translation.override("en"), pytest.raises(InvalidIdentifier, match=message):
        place_order(billing_account=account, price=price, identifier=identifier)
    assert not Invoice.objects.exists()
    assert not account.services.exists()


def test_an_inactive_price_cannot_be_ordered(catalog, account_factory):
    price = catalog.price(catalog.start, 1)
    price.is_active = False
    price.save()
    with pytest.raises(ServiceError):
        place_order(billing_account=account_factory(), price=price, identifier="x.ru")


def test_cancelling_an_unpaid_order_cancels_its_invoice_and_keeps_the_number(
    catalog, account_factory
):
    account = account_factory()
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="x.ru"
    )
    cancel_order(service=service)
    service.refresh_from_db()
    invoice = order_invoice(service)
    assert service.status == ServiceStatus.CANCELLED
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.number == "26-000001"
    with pytest.raises(ServiceNotPending):
        cancel_order(service=service)
    # The next invoice takes the next number; the cancelled one is never reused.
    other = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="y.ru"
    )
    assert order_invoice(other).number == "26-000002"


def test_a_paid_order_cannot_be_cancelled(catalog, account_factory, top_up):
    account = account_factory()
    top_up(account, "199.00")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="x.ru"
    )
    with pytest.raises(ServiceNotPending):
        cancel_order(service=service)


def test_a_late_paid_order_starts_on_the_day_it_is_paid(catalog, account_factory, top_up):
    account = account_factory()
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="x.ru"
    )
    with time_machine.travel(MOSCOW_NOON + dt.timedelta(days=3), tick=False):
        top_up(account, "199.00")
    service.refresh_from_db()
    assert service.paid_until == dt.date(2026, 12, 29)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 26), 3, dt.date(2027, 2, 26)),
        (dt.date(2026, 12, 31), 12, dt.date(2027, 12, 31)),
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


def test_a_hosting_and_its_domain_are_one_order_one_invoice_two_lines(
    catalog, account_factory, top_up
):
    from hutor.services.actions import OrderItem, place_orders

    account = account_factory()
    token = uuid.uuid4()
    items = [
        OrderItem(catalog.price(catalog.start, 1), "romashka.ru"),
        OrderItem(catalog.price(catalog.ru, 12), "Romashka.RU"),
    ]
    hosting, domain = place_orders(billing_account=account, items=items, order_token=token)
    assert (hosting.tariff, domain.tariff) == (catalog.start, catalog.ru)
    assert domain.identifier == "romashka.ru" and domain.period_months == 12
    invoice = order_invoice(hosting)
    assert order_invoice(domain) == invoice and invoice.status == "unpaid"
    assert [(line.service_id, line.amount) for line in invoice.lines.order_by("position")] == [
        (hosting.pk, Decimal("199.00")),
        (domain.pk, Decimal("199.00")),
    ]
    assert invoice.total == Decimal("398.00")
    # The same form again: the same two services, no second invoice.
    again = place_orders(billing_account=account, items=items, order_token=token)
    assert [s.pk for s in again] == [hosting.pk, domain.pk]
    assert account.invoices.count() == 1
    top_up(account, "398.00")
    hosting.refresh_from_db()
    domain.refresh_from_db()
    assert (hosting.status, domain.status) == ("active", "active")
