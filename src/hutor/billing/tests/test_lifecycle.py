"""A service's year under the daily billing run, with a movable clock: renewals from the
balance, a reminder series, suspension, unsuspension on payment, termination; a domain
through its expiry."""

import datetime as dt

import pytest
import time_machine

from hutor.billing.run import run_billing
from hutor.core import clock
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.notifications.models import OutboxEmail
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, ProvisioningTask, Service, ServiceStatus
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db

MOSCOW_NOON = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)  # 26 Nov 2026, 12:00 in Moscow
D = dt.date


def walk(traveller, days, *, on=None):
    """Move the clock a day at a time, run the billing run and the worker each day, and return
    the service status changes as (day, status, paid_until)."""
    changes = []
    for _ in range(days):
        traveller.shift(dt.timedelta(days=1))
        if on is not None:
            on(clock.today())
        run = run_billing()
        assert run.status == "done" and run.error_count == 0, run.errors
        run_due_tasks()
        for service in Service.objects.order_by("pk"):
            state = (service.pk, service.status, service.paid_until)
            if state != walk.last.get(service.pk):
                walk.last[service.pk] = state
                changes.append(
                    (clock.today(), service.identifier, service.status, service.paid_until)
                )
    return changes


walk.last = {}


@pytest.fixture(autouse=True)
def _fresh_walk():
    walk.last = {}


@pytest.mark.slow  # a minute or more: `make test-slow`, and CI
def test_a_hosting_service_through_a_year(catalog, account_factory, top_up):
    with time_machine.travel(MOSCOW_NOON, tick=False) as traveller:
        account = account_factory()
        top_up(account, "600.00")
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="shop.ru"
        )
        Service.objects.filter(pk=service.pk).update(provisioning_module="log")
        walk.last[service.pk] = (service.pk, service.status, service.paid_until)
        assert (service.status, service.paid_until) == (ServiceStatus.ACTIVE, D(2026, 12, 26))

        def pay_on_10_march(today):
            if today == D(2027, 3, 10):
                top_up(account, "199.00")

        changes = walk(traveller, 365, on=pay_on_10_march)

    assert changes == [
        # Renewed from the balance a week ahead: 600 pays the order and two renewals.
        (D(2026, 12, 19), "shop.ru", "active", D(2027, 1, 26)),
        (D(2027, 1, 19), "shop.ru", "active", D(2027, 2, 26)),
        # 19 Feb: the renewal invoice stays unpaid (3.00 left); 3 days of grace past 26 Feb.
        (D(2027, 3, 1), "shop.ru", "suspended", D(2027, 2, 26)),
        # Paid on 10 Mar: reactivated at once, for a month from that day.
        (D(2027, 3, 10), "shop.ru", "active", D(2027, 4, 10)),
        (D(2027, 4, 13), "shop.ru", "suspended", D(2027, 4, 10)),
        # 30 days suspended.
        (D(2027, 5, 13), "shop.ru", "terminated", D(2027, 4, 10)),
    ]
    renewals = Invoice.objects.filter(kind=InvoiceKind.RENEWAL).order_by("issued_at")
    assert [(i.issue_date, i.due_date, i.status) for i in renewals] == [
        (D(2026, 12, 19), D(2026, 12, 26), InvoiceStatus.PAID),
        (D(2027, 1, 19), D(2027, 1, 26), InvoiceStatus.PAID),
        (D(2027, 2, 19), D(2027, 2, 26), InvoiceStatus.PAID),  # on 10 Mar
        (D(2027, 4, 3), D(2027, 4, 10), InvoiceStatus.CANCELLED),  # at termination
    ]
    third, fourth = renewals[2].number, renewals[3].number
    reminders = sorted(
        (e.created_at.date(), e.key)
        for e in OutboxEmail.objects.filter(template="invoice_reminder")
    )
    assert [key for _day, key in reminders] == [
        f"reminder:{third}:-3",
        f"reminder:{third}:0",
        f"reminder:{third}:3",
        f"reminder:{fourth}:-3",
        f"reminder:{fourth}:0",
        f"reminder:{fourth}:3",
    ]
    # Each invoice (the order and 4 renewals) announced once: as issued, or, when it was paid
    # before its "issued" email went out (no worker runs here), as paid.
    announced = OutboxEmail.objects.filter(template__in=["invoice_issued", "invoice_paid"])
    numbers = [key.split(":", 1)[1] for key in announced.values_list("key", flat=True)]
    assert len(numbers) == len(set(numbers)) == 5
    tasks = ProvisioningTask.objects.filter(service=service).order_by("pk")
    assert [(t.operation, t.status) for t in tasks] == [
        ("create", ProvisioningStatus.TODO),  # ordered under "manual": a to-do for staff
        ("suspend", ProvisioningStatus.DONE),  # then "log", run by the worker
        ("unsuspend", ProvisioningStatus.DONE),
        ("suspend", ProvisioningStatus.DONE),
        ("terminate", ProvisioningStatus.DONE),
    ]
    assert ledger_queries.balance(account).amount == 3
    assert checks.run().ok


def test_a_domain_expires_and_is_terminated_or_restored_by_payment(
    catalog, account_factory, top_up
):
    with time_machine.travel(MOSCOW_NOON, tick=False) as traveller:
        lost, kept = account_factory(), account_factory()
        for account, name in ((lost, "lost.ru"), (kept, "kept.ru")):
            top_up(account, "199.00")
            domain = place_order(
                billing_account=account, price=catalog.price(catalog.ru, 12), identifier=name
            )
            Service.objects.filter(pk=domain.pk).update(provisioning_module="log")
            walk.last[domain.pk] = (domain.pk, domain.status, domain.paid_until)
        traveller.shift(dt.timedelta(days=320))  # 12 Oct 2027: nothing is due before 27 Oct

        def kept_pays(today):
            if today == D(2027, 12, 1):
                top_up(kept, "199.00")

        changes = walk(traveller, 80, on=kept_pays)

    assert changes == [
        # Domains expire on their first unpaid day; no grace, no suspension.
        (D(2027, 11, 26), "lost.ru", "expired", D(2027, 11, 26)),
        (D(2027, 11, 26), "kept.ru", "expired", D(2027, 11, 26)),
        # Paid while expired: active again for a year from its old expiry, as the registry
        # renews it (not from the day of payment: days it would never hold).
        (D(2027, 12, 1), "kept.ru", "active", D(2028, 11, 26)),
        (D(2027, 12, 26), "lost.ru", "terminated", D(2027, 11, 26)),
    ]
    # The renewal invoice was issued 30 days ahead, due on the expiry day.
    invoice = Invoice.objects.get(kind=InvoiceKind.RENEWAL, billing_account=lost)
    assert (invoice.issue_date, invoice.due_date, invoice.status) == (
        D(2027, 10, 27),
        D(2027, 11, 26),
        InvoiceStatus.CANCELLED,
    )
    assert set(
        OutboxEmail.objects.filter(template="invoice_reminder", billing_account=lost).values_list(
            "key", flat=True
        )
    ) == {f"reminder:{invoice.number}:{offset}" for offset in (-3, 0, 3)}
    lost_tasks = ProvisioningTask.objects.filter(service__identifier="lost.ru").order_by("pk")
    assert [t.operation for t in lost_tasks] == ["create", "terminate"]  # no suspend
    kept_tasks = ProvisioningTask.objects.filter(service__identifier="kept.ru").order_by("pk")
    assert [t.operation for t in kept_tasks] == ["create", "unsuspend"]  # restored
    assert checks.run().ok
