"""Closing a month for 1,000 company customers on PostgreSQL: a gapless series 1..N, a rerun
adds nothing, a cancellation with its unused days refunded gives one correction (N + 1), and
two runs at once (two connections) issue each act once. The customers and their paid periods
are written in bulk (fixtures, not an entry point under test); the month is closed through
`hutor documents close-month`."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from hutor.accounts.models import BillingAccount, User
from hutor.core.money import Money
from hutor.documents.actions import close_month
from hutor.documents.models import ClosingDocument
from hutor.services import cancellations
from hutor.services.models import PaidPeriod, PeriodSource, Service, ServiceStatus

N = 1000
MSK = dt.timezone(dt.timedelta(hours=3))


def _customers(catalog, n: int) -> None:
    users = User.objects.bulk_create(
        User(email=f"c{i}@example.com", password="!") for i in range(n)
    )
    accounts = BillingAccount.objects.bulk_create(
        BillingAccount(
            number=f"9{i:07d}",
            user=user,
            contact_email=user.email,
            kind="company",
            name=f"ООО «Клиент {i}»",
            inn="7736207543",
            kpp="773601001",
            address="г. Москва",
        )
        for i, user in enumerate(users)
    )
    now = dt.datetime(2026, 2, 10, 9, tzinfo=dt.UTC)
    services = Service.objects.bulk_create(
        Service(
            billing_account=account,
            service_type=catalog.hosting,
            tariff=catalog.start,
            period_months=3,
            identifier=f"shop{i}.ru",
            status=ServiceStatus.ACTIVE,
            paid_until=dt.date(2026, 5, 10),
            created_at=now,
        )
        for i, account in enumerate(accounts)
    )
    PaidPeriod.objects.bulk_create(
        PaidPeriod(
            service=service,
            start=dt.date(2026, 2, 10),
            end=dt.date(2026, 5, 10),
            tariff_code="start",
            period_months=3,
            period_days=89,
            amount=Decimal("549.00"),
            currency="RUB",
            source=PeriodSource.ORDER,
            created_at=now,
        )
        for service in services
    )


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrency are PostgreSQL's")


@pytest.mark.slow
@pytest.mark.django_db
def test_a_thousand_acts_gapless_and_a_rerun_adds_nothing(postgres_only, catalog):
    _customers(catalog, N)
    out = io.StringIO()
    started = time.monotonic()
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=MSK), tick=False):
        call_command("documents", "close-month", "2026-02", stdout=out)
        took = time.monotonic() - started
        assert f"issued={N} corrections=0 unchanged=0 errors=0" in out.getvalue()
        call_command("documents", "close-month", "2026-02", stdout=out)
    assert f"issued=0 corrections=0 unchanged={N} errors=0" in out.getvalue()
    numbers = sorted(ClosingDocument.objects.filter(year=2026).values_list("number", flat=True))
    assert numbers == list(range(1, N + 1))
    assert {d.total for d in ClosingDocument.objects.all()} == {Decimal("117.20")}
    print(f"closed {N} accounts in {took:.1f} s")

    # A refund: the first customer cancels on 5 March with the unused days given back (66 of
    # 89: 549 × 66/89 = 407.12). What stays, 141.88 for 10 Feb – 4 Mar (23 days), gives
    # February 141.88 × 19/23 = 117.205… → 117.21, a kopeck more than its act: one correction,
    # the next number of the series; closing again adds nothing.
    service = Service.objects.get(identifier="shop0.ru")
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=MSK), tick=False):
        assert cancellations.quote(service).amount == Money("407.12")
        cancellations.cancel(service=service, by="customer", expected_amount=Money("407.12"))
    with time_machine.travel(dt.datetime(2026, 3, 6, 9, tzinfo=MSK), tick=False):
        out = io.StringIO()
        call_command("documents", "close-month", "2026-02", stdout=out)
        assert f"issued=0 corrections=1 unchanged={N - 1} errors=0" in out.getvalue()
        call_command("documents", "close-month", "2026-02", stdout=out)
        assert f"issued=0 corrections=0 unchanged={N} errors=0" in out.getvalue()
    correction = ClosingDocument.objects.get(correction=1)
    assert (
        correction.number == N + 1
        and correction.corrects.billing_account == service.billing_account
    )
    assert (correction.total_before, correction.total) == (Decimal("117.20"), Decimal("117.21"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_issue_each_act_once(postgres_only, catalog):
    _customers(catalog, 200)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            report = close_month(dt.date(2026, 2, 1))
            assert not report.errors, report.errors
        except BaseException as exc:  # reported to the test's thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    # time_machine patches the clock process-wide: both threads see 1 March.
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=MSK), tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures
    numbers = sorted(ClosingDocument.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 201))
