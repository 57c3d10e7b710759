"""The PostgreSQL fast path of the renewal step (COPY, billing/fastpath.py) writes exactly the
rows the portable path (bulk_create) writes."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction

from hutor.billing import fastpath
from hutor.billing.models import Renewal
from hutor.billing.run import run_billing
from hutor.core import clock
from hutor.core.models import Event
from hutor.invoices.models import Invoice, InvoiceLine
from hutor.ledger import checks
from hutor.ledger.models import JournalEntry, LedgerAccount, Posting
from hutor.notifications.models import OutboxEmail
from hutor.services.models import ProvisioningTask, Service, ServiceStatus

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path is PostgreSQL's only"
)

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 1)


class _Rollback(Exception):
    pass


def _rows(model: Any, **natural: str) -> list[tuple[Any, ...]]:
    """Every row of `model` but its id, with the given foreign keys (attname -> lookup) named
    by a natural key instead of an id, which differs between two runs (sequences never roll
    back); sorted, so the order of ids does not matter either."""
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in natural
    ]
    names += natural.values()
    return sorted(model.objects.values_list(*names), key=repr)


def _written() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "entries": _rows(JournalEntry),
        "postings": _rows(Posting, entry_id="entry__idempotency_key", account_id="account__code"),
        "invoices": _rows(Invoice, settlement_entry_id="settlement_entry__idempotency_key"),
        "lines": _rows(InvoiceLine, invoice_id="invoice__number"),
        "renewals": _rows(Renewal, invoice_id="invoice__number"),
        "emails": _rows(OutboxEmail),
        "services": _rows(Service),
        "balances": _rows(LedgerAccount),
        "tasks": _rows(ProvisioningTask),
    }


@pytest.fixture
def renewal_day(catalog, account_factory, top_up, active_service):
    with time_machine.travel(NOON, tick=False):
        rich, poor, both, lapsed = (account_factory(language=lang) for lang in ("ru", "en") * 2)
        top_up(rich, "5000.00")
        top_up(both, "250.00")  # pays the first of its two renewals only
        top_up(lapsed, "1000.00")
        active_service(rich, paid_until=TODAY + dt.timedelta(days=3), identifier="rich.ru")
        active_service(rich, catalog.pro, paid_until=TODAY, identifier="pro.rich.ru")
        active_service(
            rich, catalog.ru, months=12, paid_until=TODAY + dt.timedelta(days=20), identifier="r.ru"
        )
        active_service(poor, paid_until=TODAY + dt.timedelta(days=7), identifier="poor.ru")
        active_service(both, paid_until=TODAY + dt.timedelta(days=1), identifier="a.both.ru")
        active_service(both, paid_until=TODAY + dt.timedelta(days=2), identifier="b.both.ru")
        active_service(
            lapsed,
            catalog.vps1,
            paid_until=TODAY - dt.timedelta(days=5),
            identifier="vps.lapsed.ru",
            status=ServiceStatus.SUSPENDED,
            lapsed_on=TODAY - dt.timedelta(days=2),
        )


def _run(monkeypatch: pytest.MonkeyPatch, *, fast: bool) -> dict[str, list[tuple[Any, ...]]]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(fastpath, "enabled", lambda: False)
        with time_machine.travel(NOON, tick=False):
            run = run_billing(batch_size=3)
    assert run.error_count == 0, run.errors
    assert run.counts["renewals"]["issued"] == 7
    assert checks.run().ok
    return _written()


@postgresql_only
def test_the_fast_path_writes_the_portable_paths_rows(renewal_day, monkeypatch):
    try:
        with transaction.atomic():
            portable = _run(monkeypatch, fast=False)
            raise _Rollback
    except _Rollback:
        pass
    assert not Renewal.objects.exists()
    fast = _run(monkeypatch, fast=True)
    assert fast["invoices"] and fast["emails"] and fast["tasks"]
    for table, rows in portable.items():
        assert fast[table] == rows, table


def _stored_params() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(params AS text) FROM notifications_outboxemail ORDER BY key")
        return [text for (text,) in cursor.fetchall()]


def test_plain_tuples_are_written_as_bulk_create_writes_the_instances(account_factory):
    """write_rows (the run's tuples, on either database): the same columns as bulk_create,
    the unnamed fields at their defaults (a callable default called per row), keys already
    present left out."""
    account = account_factory()
    names = ("key", "template", "to_email", "params", "billing_account_id", "created_at")
    OutboxEmail.objects.all().delete()  # the account's welcome email
    with time_machine.travel(NOON, tick=False), transaction.atomic():
        now = clock.now()
        values = [
            (
                f"k{n}",
                "invoice_paid",
                "a@example.com",
                {"invoice": f"27-{n}", "text": "Счёт «1» – ok", "lines": [1, None, True]},
                account.pk,
                now,
            )
            for n in range(3)
        ]
        OutboxEmail.objects.bulk_create(
            OutboxEmail(**dict(zip(names, row, strict=True))) for row in values[:2]
        )
        expected = _rows(OutboxEmail)
        expected_text = _stored_params()
        OutboxEmail.objects.all().delete()
        fastpath.write_rows(OutboxEmail, names, values[:1])
        fastpath.write_rows(OutboxEmail, names, values, skip_existing="key")
        assert _rows(OutboxEmail)[:2] == expected
        # The JSON as stored, byte for byte (fastpath encodes it itself: _direct).
        assert _stored_params()[:2] == expected_text
        assert OutboxEmail.objects.count() == 3
        fastpath.bulk_insert.rows(Event, ("kind", "data", "created_at"), [("x", {}, now)] * 2)
        ids = list(Event.objects.filter(kind="x").values_list("pk", flat=True))
        assert len(set(ids)) == 2
