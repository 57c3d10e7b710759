"""Every event of the catalogue is published where its change happens, by the desk's and the
daily run's real paths (the run's bulk renewals included: COPY on PostgreSQL), and reaches a
receiver signed; docs/webhooks.md shows each one with an example payload."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path

import pytest
import time_machine

from hutor.backoffice import actions as desk
from hutor.backoffice.models import Role
from hutor.billing.run import run_billing
from hutor.billing.tests import helpers
from hutor.core.events import EventKind
from hutor.core.models import Event
from hutor.core.money import Money
from hutor.payments.actions import fail_payment
from hutor.services.tariffs import change_tariff
from hutor.webhooks.delivery import deliver_due

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[4] / "docs" / "webhooks.md"
NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # 1 Mar 2027, 12:00 in Moscow
TODAY = dt.date(2027, 3, 1)


def kinds() -> list[str]:
    return list(Event.objects.order_by("created_at").values_list("kind", flat=True))


def test_desk_actions_publish_their_events(world, staff_factory, endpoint, receiver):
    staff = staff_factory(Role.ADMIN)
    account, hosting = world.account, world.hosting
    desk.adjust_balance(
        staff=staff,
        account=account,
        amount=Money("150.00"),
        credit=True,
        reason="Goodwill",
        token=uuid.uuid4().hex,
    )
    desk.suspend_service(staff=staff, service=hosting, reason="Spam")
    desk.unsuspend_service(staff=staff, service=hosting, reason="Cleaned")
    desk.cancel_invoice(staff=staff, invoice=world.unpaid_invoice, reason="Changed mind")
    fail_payment(payment=world.pending_payment, reason="declined")
    desk.terminate_service(staff=staff, service=hosting, reason="Asked to")
    assert deliver_due().failed == 0
    assert receiver.rejected == []
    got = [(r.payload["type"], r.payload["data"]) for r in receiver.accepted]
    types = [kind for kind, _data in got]
    for kind in (
        "balance.adjusted",
        "service.suspended",
        "service.unsuspended",
        "invoice.cancelled",
        "payment.failed",
        "service.terminated",
    ):
        assert kind in types, kind
    data = dict(got)
    assert data["balance.adjusted"]["direction"] == "credit"
    assert data["balance.adjusted"]["amount"] == "150.00"
    assert data["balance.adjusted"]["reason"] == "adjustment"
    assert data["service.suspended"]["status"] == "suspended"
    assert data["service.unsuspended"]["status"] == "active"
    assert data["invoice.cancelled"]["invoice"] == world.unpaid_invoice.number
    assert data["payment.failed"]["payment"] == world.pending_payment.number
    assert data["service.terminated"]["service_id"] == hosting.pk


def test_a_downgrade_publishes_tariff_changed_and_the_credit(
    catalog, account_factory, top_up, endpoint
):
    from hutor.services.actions import place_order

    account = account_factory()
    top_up(account, "499.00")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.pro, 1), identifier="pro.ru"
    )
    change_tariff(service=service, new_tariff=catalog.start)
    event = Event.objects.get(kind=EventKind.SERVICE_TARIFF_CHANGED)
    assert event.data["from_tariff"] == "pro" and event.data["to_tariff"] == "start"
    assert event.account_id == account.pk
    credit = Event.objects.get(kind=EventKind.BALANCE_ADJUSTED)
    assert credit.data["reason"] == "tariff_credit" and credit.data["direction"] == "credit"


def test_a_provisioning_task_given_up_publishes_provisioning_failed(fail_for_good):
    _email, task, _module = fail_for_good()
    event = Event.objects.get(kind=EventKind.PROVISIONING_FAILED)
    assert event.data["task_id"] == task.pk and event.data["operation"] == "suspend"
    assert event.data["service_id"] == task.service_id


def test_the_daily_run_publishes_in_bulk(catalog, account_factory, top_up, endpoint, receiver):
    with time_machine.travel(NOON, tick=False) as traveller:
        rich, poor = account_factory(), account_factory()
        top_up(rich, "1000.00")
        helpers.active_service(rich, catalog.start, months=1, paid_until=TODAY + dt.timedelta(3))
        lapsed = helpers.active_service(
            poor, catalog.start, months=1, paid_until=TODAY - dt.timedelta(3)
        )
        domain = helpers.active_service(
            poor,
            catalog.ru,
            months=12,
            paid_until=TODAY + dt.timedelta(10),
            identifier="romashka.ru",
        )
        run_billing()
        run_billing()  # the same day again: nothing new
        issued = Event.objects.filter(kind=EventKind.INVOICE_ISSUED)
        assert issued.count() == 3  # a renewal each: rich's hosting, poor's hosting and domain
        paid = Event.objects.get(kind=EventKind.INVOICE_PAID)
        assert paid.account_id == rich.pk and paid.data["kind"] == "renewal"
        suspended = Event.objects.get(kind=EventKind.SERVICE_SUSPENDED)
        assert suspended.data["service_id"] == lapsed.pk
        expiring = Event.objects.get(kind=EventKind.DOMAIN_EXPIRING)
        assert expiring.data["domain"] == "romashka.ru" and expiring.data["days_left"] == 10
        assert expiring.data["expires_on"] == (TODAY + dt.timedelta(10)).isoformat()
        assert expiring.data["renewal_invoice"] is not None
        assert expiring.account_id == domain.billing_account_id
        traveller.shift(dt.timedelta(days=1))
        run_billing()
        assert Event.objects.filter(kind=EventKind.DOMAIN_EXPIRING).count() == 1  # once a date
        assert deliver_due().failed == 0
    assert receiver.rejected == []
    assert len(receiver.accepted) == Event.objects.count() == endpoint.deliveries.count()


def test_every_event_kind_is_documented_with_an_example_payload():
    text = DOCS.read_text()
    examples = {}
    for block in re.findall(r"```json\n(.*?)```", text, flags=re.S):
        payload = json.loads(block)
        if isinstance(payload, dict) and "type" in payload:
            examples[payload["type"]] = payload
    assert set(examples) == set(EventKind.values)
    for kind, payload in examples.items():
        assert set(payload) == {"type", "timestamp", "data"}, kind
        assert "account" in payload["data"], kind
