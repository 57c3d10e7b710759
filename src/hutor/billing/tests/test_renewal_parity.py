"""The two renewal paths agree (STYLE 11): a customer renewing each due service in the panel
(services.actions.renew, which settles from the balance, then the day's run finds nothing more
to renew) writes exactly the rows the daily run's bulk path writes for the same services on the
same day (billing/renewals.py: renewal_plan, issue_invoices(settle=True), invoices_paid ->
apply_paid_renewals). Both start from the same committed fixtures; the first is rolled back."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from hutor.billing.models import Renewal
from hutor.billing.renewals import due_services
from hutor.billing.run import run_billing
from hutor.catalog.models import TariffPrice
from hutor.core.events import EventKind
from hutor.core.models import Event
from hutor.core.money import Money
from hutor.invoices.actions import LineDraft, issue_invoice
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from hutor.ledger import checks
from hutor.ledger.models import JournalEntry, LedgerAccount, Posting
from hutor.notifications.models import OutboxEmail
from hutor.services.actions import renew
from hutor.services.calculations import add_months, renewal_plan
from hutor.services.models import (
    PaidPeriod,
    ProvisioningTask,
    Service,
    ServiceEvent,
    ServiceStatus,
)
from hutor.webhooks.actions import create_endpoint
from hutor.webhooks.models import Delivery

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 1)


class _Rollback(Exception):
    pass


def _rows(model: Any, rows: Any = None, **natural: str) -> list[tuple[Any, ...]]:
    """Every column of every row of `model` except:

    - `id`: primary keys are drawn from sequences that never roll back on PostgreSQL, so the
      second path's rows get other ids than the first's (and the paths insert in another
      order: a single renewal writes its invoice before its entry, a batch the other way);
    - each foreign key named in `natural`, replaced by the natural key of the row it points to
      (the invoice's number, the entry's idempotency key, the ledger account's code), because
      it holds such an id; the row it points to is compared in its own table.

    Nothing else is left out: invoice numbers, amounts, dates, texts, snapshots, statuses and
    timestamps (the clock is frozen) must be equal. Sorted, so insertion order does not count.
    """
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in natural
    ]
    names += natural.values()
    return sorted((rows or model.objects).values_list(*names), key=repr)


def _written() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "invoices": _rows(Invoice, settlement_entry_id="settlement_entry__idempotency_key"),
        "lines": _rows(InvoiceLine, invoice_id="invoice__number"),
        "entries": _rows(JournalEntry),
        "postings": _rows(Posting, entry_id="entry__idempotency_key", account_id="account__code"),
        # Accounts that ever held money: settle_open_invoices() creates a customer's ledger
        # account (balance 0, no postings) the first time it looks, even for an account that
        # never had money; the batch only reads balances. Such a row moves and records nothing.
        "ledger accounts": _rows(
            LedgerAccount, LedgerAccount.objects.filter(postings__isnull=False).distinct()
        ),
        "emails": _rows(OutboxEmail),
        "services": _rows(Service),
        "provisioning tasks": _rows(ProvisioningTask),
        # What each paid renewal bought, at what price (what a tariff change values), and the
        # service's history (a reactivation by a payment).
        "paid periods": _rows(PaidPeriod, invoice_id="invoice__number"),
        "service events": _rows(ServiceEvent),
        # The events announcing the invoices (their ids are random: compared by content) and
        # the webhook deliveries they fan out to, by their event's kind and body.
        "events": _rows(Event),
        "webhook deliveries": _rows(Delivery, event_id="event__kind", endpoint_id="endpoint__url"),
        "delivery bodies": sorted(
            Delivery.objects.values_list("event__kind", "event__data"), key=repr
        ),
    }


@pytest.fixture
def renewal_day(catalog, account_factory, top_up, active_service):
    """Due services of every kind the rule distinguishes, committed before either path runs."""
    with time_machine.travel(NOON - dt.timedelta(days=10), tick=False):
        # A webhook endpoint taking every event: the deliveries are written rows too.
        create_endpoint(url="https://hooks.example.com/hutor", events=list(EventKind.values))
        rich, poor, both, lapsed, waiting = (
            account_factory(language=lang) for lang in ("ru", "en", "ru", "en", "ru")
        )
        top_up(rich, "10000.00")
        top_up(both, "250.00")  # pays the first of its two renewals only
        top_up(lapsed, "1000.00")
        top_up(waiting, "300.00")
        # An older unpaid invoice: it is paid before the renewal (settlement order).
        issue_invoice(
            billing_account=waiting,
            kind=InvoiceKind.ORDER,
            lines=[
                LineDraft(
                    kind=LineKind.SETUP,
                    service_type_code="hosting",
                    description_ru="Подключение",
                    description_en="Setup",
                    amount=Money("50.00"),
                )
            ],
        )
    with time_machine.travel(NOON, tick=False):
        active_service(rich, paid_until=TODAY + dt.timedelta(days=3), identifier="rich.ru")
        active_service(rich, catalog.pro, paid_until=TODAY, identifier="pro.rich.ru")
        active_service(rich, catalog.start, months=3, paid_until=TODAY + dt.timedelta(days=6))
        active_service(
            rich, catalog.ru, months=12, paid_until=TODAY + dt.timedelta(days=20), identifier="r.ru"
        )
        active_service(
            rich,
            catalog.ru,
            months=12,
            paid_until=TODAY - dt.timedelta(days=4),
            identifier="expired.ru",
            status=ServiceStatus.EXPIRED,
            lapsed_on=TODAY - dt.timedelta(days=4),
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
        active_service(waiting, paid_until=TODAY + dt.timedelta(days=4), identifier="waiting.ru")
        # Not due: left alone by both paths.
        active_service(rich, paid_until=TODAY + dt.timedelta(days=8), identifier="later.ru")
    assert Invoice.objects.filter(status=InvoiceStatus.UNPAID).count() == 1


def _single_path() -> dict[str, list[tuple[Any, ...]]]:
    """Each due service renewed by services.actions.renew (oldest account first, as the batch
    orders them), which settles from the balance; then the day's run (which finds nothing
    left to renew, and settles, reminds and suspends as on the other side)."""
    with time_machine.travel(NOON, tick=False):
        due = list(
            due_services(TODAY)
            .select_related("billing_account")
            .order_by("billing_account_id", "pk")
        )
        assert len(due) == 10
        for service in due:
            price = TariffPrice.objects.get(
                tariff_id=service.tariff_id,
                period_months=service.period_months,
                currency=service.billing_account.currency,
                is_active=True,
            )
            renew(service=service, price=price)
        run = run_billing(batch_size=3)
    assert run.error_count == 0, run.errors
    assert "issued" not in run.counts["renewals"]
    assert not Renewal.objects.exists()  # the panel's renewal claims no period row
    assert checks.run().ok
    return _written()


def _bulk_path() -> dict[str, list[tuple[Any, ...]]]:
    with time_machine.travel(NOON, tick=False):
        run = run_billing(batch_size=3)
    assert run.error_count == 0, run.errors
    assert run.counts["renewals"]["issued"] == 10
    # The Renewal rows are the bulk path's own (its claim on each period); the single path
    # writes none, so they are checked here rather than compared.
    renewals = set(Renewal.objects.values_list("service_id", "period_start", "invoice__number"))
    lines = set(
        InvoiceLine.objects.filter(invoice__kind=InvoiceKind.RENEWAL).values_list(
            "service_id", "invoice__number"
        )
    )
    assert {(s, n) for s, _start, n in renewals} == lines and len(lines) == 10
    assert checks.run().ok
    return _written()


@pytest.mark.django_db
def test_a_renewal_in_the_panel_and_in_the_daily_run_write_the_same_rows(renewal_day):
    try:
        with transaction.atomic():
            single = _single_path()
            raise _Rollback
    except _Rollback:
        pass
    assert not Invoice.objects.filter(kind=InvoiceKind.RENEWAL).exists()
    bulk = _bulk_path()
    # What the fixtures exercise, so that equal tables mean something.
    statuses = [row for row in Invoice.objects.values_list("kind", "status")]
    assert statuses.count((InvoiceKind.RENEWAL, InvoiceStatus.PAID)) == 8
    assert statuses.count((InvoiceKind.RENEWAL, InvoiceStatus.UNPAID)) == 2
    assert ProvisioningTask.objects.filter(operation="unsuspend").count() == 2
    for table, rows in single.items():
        assert bulk[table] == rows, table


@given(
    today=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31)),
    offset=st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
    months=st.sampled_from([1, 3, 6, 12, 24]),
    price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=3),
)
def test_the_renewal_plan_extends_from_paid_until_or_from_today(today, offset, months, price):
    paid_until = None if offset is None else today + dt.timedelta(days=offset)
    plan = renewal_plan(
        today=today, paid_until=paid_until, period_months=months, price=Money(price)
    )
    lapsed = paid_until is None or paid_until < today
    assert plan.start == (today if lapsed else paid_until)
    assert plan.due_date == plan.start >= today
    assert plan.end == add_months(plan.start, months) and plan.months == months
    assert plan.amount == Money(price).rounded()


@pytest.mark.parametrize("months", [0, -1, True, 1.0])
def test_the_renewal_plan_refuses_a_period_that_is_not_whole_months(months):
    with pytest.raises(ValueError, match="period_months"):
        renewal_plan(today=TODAY, paid_until=TODAY, period_months=months, price=Money("1.00"))
