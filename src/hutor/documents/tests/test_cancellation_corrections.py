"""A service cancelled with its unused days given back shortens its paid periods; the daily
run's closing step looks back at the months those periods reached into (documents.actions.
correct_after_cancellations) and corrects a closed month whose figures the cut changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from hutor.core.money import Money
from hutor.documents.models import ClosingDocument
from hutor.services import cancellations
from hutor.services.actions import place_order

pytestmark = pytest.mark.django_db

COMPANY = {
    "name": "ООО «Ромашка»",
    "kind": "company",
    "inn": "7736207543",
    "kpp": "773601001",
    "address": "119021, г. Москва, ул. Льва Толстого, д. 16",
}
MSK = dt.timezone(dt.timedelta(hours=3))


def at(day: str) -> time_machine.travel:
    return time_machine.travel(
        dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=MSK), tick=False
    )


def run(day: str) -> None:
    with at(day):
        call_command("billing", "run")


@pytest.fixture
def company(account_factory, top_up):
    def make(day: str, amount: str):
        with at(day):
            account = account_factory(**COMPANY)
            top_up(account, amount)  # exactly the order: the renewals stay unpaid
        return account

    return make


def cancel(service, day: str, amount: str) -> None:
    with at(day):
        assert cancellations.quote(service).amount == Money(amount)
        cancellations.cancel(service=service, by="customer", expected_amount=Money(amount))


def test_a_cancellation_in_the_next_month_leaves_the_closed_one_alone(company, catalog):
    # «Старт» for 3 months, 549.00, from 1 Dec 2026 (90 days). December's act: 549 × 31/90 =
    # 189.10. Cancelled on 15 Jan 2027: 45 unused days, 274.50 back; what stays, 274.50 for
    # 1 Dec – 14 Jan (45 days), still gives December 274.50 × 31/45 = 189.10, January 85.40.
    account = company("2026-12-01", "549.00")
    with at("2026-12-01"):
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 3), identifier="a.ru"
        )
    run("2027-01-01")
    december = ClosingDocument.objects.get(month=dt.date(2026, 12, 1))
    assert december.total == Decimal("189.10")
    cancel(service, "2027-01-15", "274.50")
    run("2027-01-16")
    assert ClosingDocument.objects.filter(month=dt.date(2026, 12, 1)).count() == 1
    run("2027-02-01")
    january = ClosingDocument.objects.get(month=dt.date(2027, 1, 1))
    assert january.total == Decimal("85.40") and january.correction == 0


def test_a_cut_that_changes_a_closed_month_gives_one_correction(company, catalog):
    # «Старт» for a month, 199.00, from 9 Dec 2026 (until 9 Jan 2027, 31 days). December's
    # act: 199 × 23/31 = 147.645… → 147.65. Cancelled on 5 Jan 2027: 4 unused days, 199 × 4/31
    # = 25.677… → 25.68 back; what stays, 173.32 for 27 days, gives December 173.32 × 23/27 =
    # 147.643… → 147.64: a kopeck less than the act said, so December gets a correction.
    account = company("2026-12-09", "199.00")
    with at("2026-12-09"):
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="b.ru"
        )
    run("2027-01-01")
    original = ClosingDocument.objects.get(month=dt.date(2026, 12, 1))
    assert original.total == Decimal("147.65")
    cancel(service, "2027-01-05", "25.68")
    run("2027-01-06")
    correction = ClosingDocument.objects.get(month=dt.date(2026, 12, 1), correction=1)
    assert correction.corrects == original and correction.issued_on == dt.date(2027, 1, 6)
    assert (correction.total_before, correction.total) == (Decimal("147.65"), Decimal("147.64"))
    original.refresh_from_db()
    assert original.total == Decimal("147.65")  # never edited
    run("2027-01-06")
    run("2027-01-20")
    assert ClosingDocument.objects.filter(month=dt.date(2026, 12, 1)).count() == 2
    run("2027-02-01")
    january = ClosingDocument.objects.get(month=dt.date(2027, 1, 1))
    assert january.total == Decimal("25.68")  # 173.32 − 147.64: 1–4 January
