"""Webhooks end to end: events published by real actions reach a real receiver on 127.0.0.1,
signed as the Standard Webhooks specification says (checked by the spec's reference library),
in order per billing account, exactly once per webhook-id, also after the receiver was down;
a change that rolls back sends nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from hutor.core.events import EventKind, publish
from hutor.core.models import Event
from hutor.services.actions import place_order
from hutor.webhooks import actions, signing
from hutor.webhooks.delivery import QUEUE, RETRY_DELAYS, deliver_due
from hutor.webhooks.models import Delivery, DeliveryStatus, Endpoint
from hutor.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


def test_the_signature_matches_the_reference_librarys_own_test_vector():
    # The vector of the standardwebhooks Python library's tests (libraries/python/tests of
    # github.com/standard-webhooks/standard-webhooks): secret, id, timestamp, body, signature.
    from standardwebhooks.webhooks import Webhook

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, timestamp, content = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    ours = signing.signature(secret, msg_id=msg_id, timestamp=timestamp, content=content)
    theirs = Webhook(secret).sign(
        msg_id, dt.datetime.fromtimestamp(timestamp, tz=dt.UTC), content.decode()
    )
    assert ours == theirs == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_generated_secret_is_whsec_and_base64_of_32_bytes():
    secret = signing.generate_secret()
    assert secret.startswith("whsec_") and len(signing.key_of(secret)) == 32
    assert signing.generate_secret() != secret


def test_an_opened_account_reaches_the_receiver_signed(endpoint, receiver, account_factory):
    account = account_factory(email="anna@example.com", name="Анна")
    assert deliver_due().delivered == 1
    assert receiver.rejected == []
    [got] = receiver.accepted
    event = Event.objects.get(kind=EventKind.ACCOUNT_OPENED)
    assert got.webhook_id == event.webhook_id
    assert got.payload["type"] == "account.opened"
    assert got.payload["data"]["account"] == account.number
    assert got.payload["data"]["email"] == "anna@example.com"
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.response_status == 204
    assert delivery.attempts == 1 and delivery.delivered_at is not None


def test_a_rolled_back_change_publishes_nothing(endpoint, receiver, account_factory):
    with pytest.raises(RuntimeError), transaction.atomic():
        account_factory(email="ghost@example.com")
        assert Event.objects.count() == 1 and Delivery.objects.count() == 1  # inside: written
        raise RuntimeError("the order failed after the account was opened")
    assert Event.objects.count() == 0 and Delivery.objects.count() == 0
    assert deliver_due().delivered == 0 and receiver.requests == 0


def test_an_event_is_only_for_endpoints_enabled_and_subscribed(receiver, account_factory):
    invoices_only, secret = actions.create_endpoint(
        url=receiver.url, events=[EventKind.INVOICE_PAID]
    )
    receiver.secret = secret
    actions.create_endpoint(url=receiver.url, events=EventKind.values, enabled=False)
    account_factory()
    assert Event.objects.count() == 1 and Delivery.objects.count() == 0
    assert invoices_only.deliveries.count() == 0


def test_an_endpoint_edited_or_disabled_between_events_is_read_again(receiver, account_factory):
    """fan_out keeps the endpoints per process, never staler than their rows."""
    endpoint, receiver.secret = actions.create_endpoint(
        url=receiver.url, events=[EventKind.ACCOUNT_OPENED]
    )
    account_factory()
    assert endpoint.deliveries.count() == 1
    actions.update_endpoint(endpoint=endpoint, values={"events": [EventKind.INVOICE_PAID]})
    account_factory()
    assert endpoint.deliveries.count() == 1  # no longer subscribed
    actions.update_endpoint(endpoint=endpoint, values={"events": EventKind.values})
    account_factory()
    assert endpoint.deliveries.count() == 2
    actions.update_endpoint(endpoint=endpoint, values={"enabled": False})
    account_factory()
    assert endpoint.deliveries.count() == 2
    other, _secret = actions.create_endpoint(url=receiver.url, events=EventKind.values)
    account_factory()
    assert endpoint.deliveries.count() == 2 and other.deliveries.count() == 1


def test_a_float_in_an_event_is_refused(db):
    with pytest.raises(TypeError):
        publish(EventKind.BALANCE_ADJUSTED, billing_account=None, data={"amount": 1.5})


def test_paying_an_invoice_at_the_desk_sends_payment_then_invoice_paid(
    endpoint, receiver, catalog, payment_methods, account_factory, staff_factory
):
    from django.test import Client
    from django.urls import reverse

    from hutor.backoffice.models import Role
    from hutor.backoffice.tests.conftest import desk_session

    account = account_factory(email="olga@example.com", name="Ольга")
    hosting = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="olga.ru"
    )
    invoice = hosting.invoice_lines.get().invoice
    desk = desk_session(Client(), staff_factory(Role.ACCOUNTANT))
    response = desk.post(
        reverse("desk:manual_payment", args=[account.number]),
        {
            "amount": "199,00",
            "document_number": "п/п 42",
            "document_date": "2026-11-30",
            "reason": "Paid by bank transfer",
        },
    )
    assert response.status_code == 302
    call_command("worker", "--once")
    assert receiver.rejected == []
    assert receiver.types() == [
        "account.opened",
        "invoice.issued",
        "payment.credited",
        "invoice.paid",
        "service.created",
    ]
    by_type = {item.payload["type"]: item.payload["data"] for item in receiver.accepted}
    assert by_type["payment.credited"]["amount"] == "199.00"
    assert by_type["payment.credited"]["currency"] == "RUB"
    assert by_type["payment.credited"]["method"] == "bank"
    assert by_type["invoice.paid"]["invoice"] == invoice.number
    assert by_type["invoice.paid"]["amount"] == "199.00"
    assert by_type["invoice.paid"]["lines"][0]["service_id"] == hosting.pk
    assert by_type["service.created"]["identifier"] == "olga.ru"
    assert by_type["service.created"]["status"] == "active"


def test_a_receiver_down_for_an_hour_gets_every_event_in_order_exactly_once(
    catalog, account_factory, top_up
):
    receiver = Receiver()
    receiver.reserve_port()  # nothing listens there yet: connections are refused
    made, receiver.secret = actions.create_endpoint(url=receiver.url, events=EventKind.values)
    start = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        accounts = [account_factory(), account_factory()]
        for account in accounts:
            top_up(account, "300.00")
            place_order(
                billing_account=account,
                price=catalog.price(catalog.start, 1),
                identifier=f"site{account.pk}.ru",
            )
            place_order(
                billing_account=account,
                price=catalog.price(catalog.pro, 1),
                identifier=f"pro{account.pk}.ru",
            )
        expected = defaultdict(list)
        for delivery in Delivery.objects.select_related("event").order_by("pk"):
            expected[delivery.event.account_id].append(delivery.event.webhook_id)
        total = sum(len(ids) for ids in expected.values())
        assert total >= 10
        # An hour down: the worker keeps trying the first event of each account only.
        for _minute in range(60):
            report = deliver_due()
            assert report.delivered == 0
            clock.shift(dt.timedelta(minutes=1))
        firsts = Delivery.objects.filter(attempts__gt=0)
        assert firsts.count() == len(accounts)  # the others wait behind them, untried
        assert all(d.status == DeliveryStatus.PENDING for d in firsts)
        assert "ConnectionError" in firsts.first().last_error
        receiver.start()
        try:
            for _step in range(12 * 4):  # the next retry comes within the following 2 hours
                deliver_due()
                clock.shift(dt.timedelta(minutes=5))
        finally:
            receiver.stop()
    assert receiver.rejected == []
    assert len(receiver.ids()) == len(set(receiver.ids())) == total  # each id exactly once
    got = defaultdict(list)
    for item in receiver.accepted:
        got[_account_of(item.webhook_id)].append(item.webhook_id)
    assert got == expected  # per account, in the order the events happened
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert made.deliveries.count() == total


def _account_of(webhook_id: str) -> int | None:
    import uuid

    return Event.objects.get(id=uuid.UUID(webhook_id.removeprefix("evt_"))).account_id


def test_after_a_day_of_failures_a_delivery_is_dead_and_resent_with_its_id(
    endpoint, receiver, account_factory
):
    receiver.status = 503
    start = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        account_factory()
        assert deliver_due().retried == 1
        for delay in RETRY_DELAYS[:-1]:
            clock.shift(delay)
            assert deliver_due().retried == 1
        clock.shift(RETRY_DELAYS[-1])
        assert deliver_due().failed == 1
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.response_status == 503 and delivery.last_error == "AttemptFailed: HTTP 503"
        assert delivery.attempts == len(RETRY_DELAYS) + 1
        assert sum(RETRY_DELAYS, dt.timedelta()) > dt.timedelta(days=1)
        receiver.status = 200
        actions.resend(delivery=delivery)
        assert deliver_due().delivered == 1
    [got] = receiver.accepted
    assert got.webhook_id == delivery.event.webhook_id


def test_410_gone_disables_the_endpoint(endpoint, receiver, account_factory):
    receiver.status = 410
    account_factory()
    report = deliver_due()
    assert report.delivered == 0 and report.retried == 0
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert not Endpoint.objects.get().enabled
    account_factory()
    assert Delivery.objects.count() == 1  # a disabled endpoint gets no new deliveries


def test_private_addresses_are_refused_unless_allowed(
    endpoint, receiver, account_factory, settings
):
    settings.HUTOR_WEBHOOKS_ALLOW_PRIVATE = False
    account_factory()
    assert deliver_due().retried == 1
    delivery = Delivery.objects.get()
    assert "AddressRefused" in delivery.last_error and receiver.requests == 0


def test_a_redirect_is_not_followed(receiver, account_factory):
    receiver.status = 302
    _made, receiver.secret = actions.create_endpoint(url=receiver.url, events=EventKind.values)
    account_factory()
    assert deliver_due().retried == 1
    assert receiver.requests == 1
    assert Delivery.objects.get().response_status == 302


def test_the_claim_takes_one_delivery_per_group_at_a_time(endpoint, account_factory):
    account = account_factory()
    publish(EventKind.BALANCE_ADJUSTED, billing_account=account, data={"amount": "1.00"})
    first, second = Delivery.objects.order_by("pk")
    assert QUEUE.due() == [first.pk]
    assert QUEUE.claim(second.pk) is None
