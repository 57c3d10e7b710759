"""The renewal step in several processes (PostgreSQL): each renews a disjoint set of billing
accounts on its own connection; together they renew every due service exactly once."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.db import connection

from hutor.billing import renewals
from hutor.billing.models import Renewal
from hutor.billing.run import run_billing
from hutor.invoices.models import Invoice, InvoiceLine
from hutor.ledger import checks

pytestmark = [
    # Committed data: the worker processes read it on connections of their own.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="parallel renewals are PostgreSQL's only"
    ),
]

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 1)


def test_two_processes_renew_every_service_exactly_once(
    catalog, account_factory, top_up, active_service, monkeypatch
):
    with time_machine.travel(NOON, tick=False):
        services = []
        for i in range(25):
            account = account_factory()
            if i % 5:  # every fifth cannot pay: its invoices stay unpaid
                top_up(account, "1000.00")
            for j in range(2):
                services.append(
                    active_service(
                        account,
                        paid_until=TODAY + dt.timedelta(days=(i + j) % 7),
                        identifier=f"s{i}-{j}.example.ru",
                    )
                )
    parallel = []
    original = renewals._renew_parallel

    def spy(parts, *args, **kwargs):
        parallel.append([len(part) for part in parts])
        return original(parts, *args, **kwargs)

    monkeypatch.setattr(renewals, "_renew_parallel", spy)
    progress: list[int] = []
    with time_machine.travel(NOON, tick=False):
        run = run_billing(
            jobs=2, batch_size=7, progress=lambda step, done, total: progress.append(done)
        )
    assert run.status == "done" and run.error_count == 0, run.errors
    assert len(parallel) == 1 and len(parallel[0]) == 2 and sum(parallel[0]) == 50
    counts = run.counts["renewals"]
    assert counts["due"] == counts["issued"] == 50
    assert counts["paid"] == 40
    assert progress and progress[-1] == 50

    per_service = Counter(Renewal.objects.values_list("service_id", flat=True))
    assert per_service == Counter({service.pk: 1 for service in services})
    assert Counter(InvoiceLine.objects.values_list("service_id", flat=True)) == per_service
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 50
    assert checks.run().ok

    # A rerun finds nothing left to do.
    with time_machine.travel(NOON, tick=False):
        again = run_billing(jobs=2, batch_size=7)
    assert again.error_count == 0, again.errors
    assert "issued" not in again.counts["renewals"]
    assert Renewal.objects.count() == 50
    assert checks.run().ok
