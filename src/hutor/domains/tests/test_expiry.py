"""An expired domain's life against its registry (issue 14): renewed at the usual price in its
zone's grace period, billed its restore in redemption, restored and renewed at the registry
once paid, terminated after both; and the daily sync bringing billing's paid-until in step
with the registry's expiry. The registry is the test EPP server (every command validated
against the RFC schemas, RFC 3915's restore included); the days pass by the billing run's
own `--date`, as an operator would run it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from hutor.domains.sync import sync_due
from hutor.invoices.models import Invoice, InvoiceStatus, LineKind
from hutor.panel.tests.test_domain_registry import epp, midday, registered  # noqa: F401
from hutor.services import lifecycle
from hutor.services.calculations import add_months
from hutor.services.models import ProvisioningTask, Service, ServiceStatus
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db

NAME = "romashka.ru"


def run_on(day: dt.date) -> None:
    """The daily billing run on `day`, the clock there too (as the cron would find it)."""
    moment = dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        call_command("billing", "run", stdout=io.StringIO())


def zone_with_redemption(catalog, *, grace=30, redemption=30, fee="1500.00"):
    catalog.ru.grace_days, catalog.ru.redemption_days = grace, redemption
    catalog.ru.save(update_fields=["grace_days", "redemption_days"])
    price = catalog.price(catalog.ru, 12)
    price.restore_fee = Decimal(fee)
    price.save(update_fields=["restore_fee"])


def page(service, name: str, day: dt.date) -> str:
    """A panel page of the service as its customer sees it on `day` (logged in that day)."""
    client = Client()
    with time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)):
        client.force_login(service.billing_account.user)
        response = client.get(
            reverse(f"panel:{name}", args=[service.pk]), headers={"accept-language": "en"}
        )
    assert response.status_code == 200
    return response.content.decode()


def open_invoices(service):
    return list(
        service.invoice_lines.filter(invoice__status=InvoiceStatus.UNPAID)
        .order_by()
        .values_list("invoice__number", flat=True)
        .distinct()
    )


def test_in_redemption_the_renewal_carries_the_restore_and_the_registry_restores_it(
    epp,  # noqa: F811
    registered,  # noqa: F811
    catalog,
    top_up,
):
    service, _client = registered
    zone_with_redemption(catalog)
    paid_until = service.paid_until
    held = epp.registry.domains[NAME]
    assert held.expires.date() == paid_until

    run_on(paid_until - dt.timedelta(days=30))  # the renewal invoice, 30 days ahead (domains)
    (first,) = open_invoices(service)
    run_on(paid_until)
    service.refresh_from_db()
    assert service.status == ServiceStatus.EXPIRED

    shown = page(service, "service_detail", paid_until + dt.timedelta(days=10))
    assert 'data-testid="domain-expired"' in shown and "at the usual price" in shown
    assert "1,500.00" in shown  # what redemption would add

    # The registry deletes the unrenewed domain into its redemption period (RFC 3915).
    held.statuses, held.grace = {"pendingDelete"}, {"redemptionPeriod"}
    day = paid_until + dt.timedelta(days=35)
    run_on(day)
    (second,) = open_invoices(service)
    assert second != first
    invoice = Invoice.objects.get(number=second)
    lines = list(invoice.lines.order_by("position"))
    assert [(line.kind, line.amount) for line in lines] == [
        (LineKind.PERIOD, Decimal("199.00")),
        (LineKind.RESTORE, Decimal("1500.00")),
    ]
    # A domain renews from its old expiry, as the registry renews it, however late it is paid.
    assert (lines[0].period_start, lines[0].period_end) == (paid_until, add_months(paid_until, 12))
    assert "redemption" in lines[1].description_en and "удержания" in lines[1].description_ru
    assert 'data-testid="restore-fee"' in page(service, "service_renew", day)
    with time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)):
        top_up(service.billing_account, "1699.00")
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE
    assert service.paid_until == add_months(paid_until, 12)
    operations = list(
        ProvisioningTask.objects.filter(service=service)
        .order_by("pk")
        .values_list("operation", flat=True)
    )
    assert operations[-2:] == ["restore", "renew"]  # restored before it is renewed

    with time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)):
        for _turn in operations:  # the worker's turns: a service's tasks one after another
            run_due_tasks()
    tasks = ProvisioningTask.objects.filter(service=service, operation__in=["restore", "renew"])
    every = ProvisioningTask.objects.filter(service=service).order_by("pk")
    assert {task.status for task in tasks} == {"done"}, [
        (t.operation, t.status, t.note, t.last_error, t.next_attempt_at) for t in every
    ]
    assert held.grace == set() and "pendingDelete" not in held.statuses
    assert held.expires.date() == service.paid_until  # the registry and billing agree
    assert epp.received.count("domain:update") >= 1


def test_an_unpaid_domain_is_terminated_only_after_grace_and_redemption(
    epp,  # noqa: F811
    registered,  # noqa: F811
    catalog,
):
    service, _client = registered
    zone_with_redemption(catalog, grace=30, redemption=30)
    paid_until = service.paid_until
    run_on(paid_until)
    run_on(paid_until + dt.timedelta(days=45))  # in redemption: still the customer's to save
    service.refresh_from_db()
    assert service.status == ServiceStatus.EXPIRED
    run_on(paid_until + dt.timedelta(days=60))
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED


def test_a_restore_is_not_asked_for_a_domain_out_of_redemption(
    epp,  # noqa: F811
    registered,  # noqa: F811
):
    """A retried restore (the first went through) sends nothing and is done."""
    service, _client = registered
    with transaction.atomic():
        lifecycle.provision(service=Service.objects.get(pk=service.pk), operation="restore")
    before = epp.received.count("domain:update")
    run_due_tasks()
    task = ProvisioningTask.objects.filter(service=service, operation="restore").get()
    assert task.status == "done" and "not in redemption" in task.note
    assert epp.received.count("domain:update") == before


def test_the_sync_follows_the_registry_and_sends_a_lost_renewal_there(
    epp,  # noqa: F811
    registered,  # noqa: F811
):
    service, _client = registered
    held = epp.registry.domains[NAME]

    # A day apart (registered a day later, in the registry's time zone): billing follows.
    held.expires += dt.timedelta(days=1)
    report = sync_due()
    service.refresh_from_db()
    assert (report.aligned, report.drift) == (1, [])
    assert service.paid_until == held.expires.date()
    event = service.events.get(code="registry_date")
    assert event.params["to"] == held.expires.date().isoformat()

    # A paid year that never reached the registry: sent there once, however often it is synced.
    held.expires = held.expires.replace(year=held.expires.year - 1)
    assert sync_due().renewing == 1 and sync_due().renewing == 1
    assert ProvisioningTask.objects.filter(service=service, operation="renew").count() == 1
    run_due_tasks()
    assert held.expires.date() == service.paid_until
    assert (sync_due().renewing, sync_due().aligned) == (0, 0)

    # The registry keeping it longer than paid for is for staff; billing's date stays.
    held.expires += dt.timedelta(days=90)
    before = service.paid_until
    report = sync_due()
    service.refresh_from_db()
    assert [d.kind for d in report.drift] == ["expires_after_paid"]
    assert service.paid_until == before
