"""Cancelling a service with its unused paid days given back (services.cancellations); the
worked examples of docs/billing-rules.md, "Cancellation"."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.notifications.actions import deliver_due
from hutor.notifications.models import OutboxEmail
from hutor.services import cancellations
from hutor.services.actions import place_order, renew
from hutor.services.models import Cancellation, PaidPeriod, ServiceStatus

pytestmark = pytest.mark.django_db


def at(day: dt.date) -> time_machine.travel:
    return time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def order(catalog, account_factory, top_up):
    def make(day, tariff, months, identifier="a.ru", money="10000.00"):
        with at(day):
            account = account_factory()
            top_up(account, money)
            return place_order(
                billing_account=account, price=catalog.price(tariff, months), identifier=identifier
            )

    return make


def test_three_months_cancelled_in_the_second_gives_back_the_unused_days(order, catalog):
    # Example 1: «Старт» for 3 months, 549.00, paid 1 Dec 2026 (until 1 Mar 2027, 90 days);
    # cancelled on 2 Feb 2027: 2 Feb … 28 Feb is 27 days, 549 × 27 / 90 = 164.70.
    service = order(dt.date(2026, 12, 1), catalog.start, 3)
    account = service.billing_account
    with at(dt.date(2027, 2, 2)):
        before = ledger_queries.balance(account)
        shown = cancellations.quote(service)
        assert shown.amount == Money("164.70") and shown.unused_days == 27
        cancellation = cancellations.cancel(
            service=service, by="customer", expected_amount=shown.amount
        )
        assert ledger_queries.balance(account) == before + Money("164.70")
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED
    assert service.paid_until == dt.date(2027, 2, 2)
    assert cancellation.amount == Decimal("164.70") and cancellation.day == dt.date(2027, 2, 2)
    entry = JournalEntry.objects.get(idempotency_key=f"cancellation:{service.pk}")
    assert entry.kind == EntryKind.CANCELLATION_CREDIT
    (period,) = PaidPeriod.objects.filter(service=service)
    assert (period.start, period.end, period.amount) == (
        dt.date(2026, 12, 1),
        dt.date(2027, 2, 2),
        Decimal("384.30"),  # what stays paid for the 63 days used: 549.00 − 164.70
    )
    assert OutboxEmail.objects.filter(key=f"service_cancelled:{service.pk}").count() == 1
    with at(dt.date(2027, 2, 2)):
        deliver_due()
    (sent,) = [m for m in mail.outbox if "164,70" in m.body or "164.70" in m.body]
    assert "Старт" in sent.subject and account.number in sent.body


def test_a_period_paid_ahead_is_given_back_whole(order, catalog):
    # Example 2: «Старт» for 1 month, 199.00, paid 26 Nov 2026 and renewed at once (26 Dec –
    # 26 Jan); cancelled on 10 Dec 2026: 16 of the first 30 days, 199 × 16 / 30 = 106.13, and
    # the renewed month, not started, whole: 199.00. Total 305.13.
    service = order(dt.date(2026, 11, 26), catalog.start, 1)
    with at(dt.date(2026, 11, 26)):
        renew(service=service, price=catalog.price(catalog.start, 1))
    with at(dt.date(2026, 12, 10)):
        shown = cancellations.quote(service)
        assert shown.amount == Money("305.13")
        cancellations.cancel(service=service, by="customer", expected_amount=Decimal("305.13"))
    periods = list(PaidPeriod.objects.filter(service=service))
    assert [(p.start, p.end, p.amount) for p in periods] == [
        (dt.date(2026, 11, 26), dt.date(2026, 12, 10), Decimal("92.87"))
    ]


def test_a_different_figure_is_refused_and_moves_nothing(order, catalog):
    service = order(dt.date(2026, 12, 1), catalog.start, 3)
    account = service.billing_account
    with at(dt.date(2027, 2, 2)):
        before = ledger_queries.balance(account)
        with pytest.raises(cancellations.QuoteChanged) as refused:
            cancellations.cancel(service=service, by="customer", expected_amount=Money("170.00"))
        assert refused.value.amount == Money("164.70")
        assert ledger_queries.balance(account) == before
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE
    assert not Cancellation.objects.exists()
    assert PaidPeriod.objects.get(service=service).end == dt.date(2027, 3, 1)


def test_a_domain_gives_back_nothing_and_says_why(order, catalog):
    service = order(dt.date(2026, 12, 1), catalog.ru, 12, identifier="shop.ru")
    with at(dt.date(2027, 2, 2)):
        shown = cancellations.quote(service)
        assert shown.amount == Money("0.00")
        assert shown.reason == cancellations.NOT_REFUNDABLE and shown.reason_text
        before = ledger_queries.balance(service.billing_account)
        cancellation = cancellations.cancel(service=service, by="customer", expected_amount=0)
        assert ledger_queries.balance(service.billing_account) == before
    assert cancellation.amount == 0 and cancellation.entry is None
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED


def test_a_service_is_cancelled_once(order, catalog):
    service = order(dt.date(2026, 12, 1), catalog.start, 3)
    with at(dt.date(2027, 2, 2)):
        cancellations.cancel(service=service, by="customer", expected_amount=Money("164.70"))
        with pytest.raises(cancellations.CancellationNotAllowed):
            cancellations.cancel(service=service, by="customer", expected_amount=Money("0.00"))
    assert JournalEntry.objects.filter(kind=EntryKind.CANCELLATION_CREDIT).count() == 1
