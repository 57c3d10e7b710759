"""YooKassa API v3: a payment created once per Hutor payment, and notifications believed only as
far as the API itself confirms them, credited exactly once.

The API is a small fake on 127.0.0.1 (ThreadingHTTPServer, random port) keeping payments in a
dict; it checks HTTP Basic credentials and answers a repeated Idempotence-Key with the first
answer, as YooKassa does. Nothing here can reach the real YooKassa: see `_only_loopback`.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import translation

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.actions import fail_payment, start_top_up
from hutor.payments.exceptions import PaymentError
from hutor.payments.gateways import get_gateway
from hutor.payments.gateways.yookassa import OFFICIAL_NOTIFIER_NETWORKS
from hutor.payments.models import (
    Payment,
    PaymentStatus,
)
from hutor.payments.tests.yookassa_gateway.fake import (
    ELSEWHERE,
    SECRET_KEY,
    YOOKASSA,
    api_lookups,
    assert_nothing_credited,
    notify,
    post,
    refused,
    started,
)

pytestmark = pytest.mark.django_db


# --- start ---------------------------------------------------------------------------------------


def test_start_creates_one_api_payment_even_when_called_twice(api, payment, settings):
    settings.HUTOR_BASE_URL = "https://billing.example.ru"
    gateway = get_gateway("yookassa")
    with translation.override("en"):
        first = gateway.start(payment)
    with translation.override("ru"):  # reloaded, another language: the same request
        again = gateway.start(Payment.objects.get(pk=payment.pk))
    assert len(api.payments) == 1
    (created,) = api.payments.values()
    assert first.url == again.url == created["confirmation"]["confirmation_url"]
    assert first.method == "GET"
    posts = [r for r in api.requests if r["verb"] == "POST"]
    assert len(posts) == 2 and posts[0]["key"] == posts[1]["key"] != ""
    assert posts[0]["path"] == "/v3/payments"
    body = posts[0]["body"]
    assert body["amount"] == {"value": "700.00", "currency": "RUB"}
    assert body["capture"] is True
    assert body["confirmation"] == {
        "type": "redirect",
        "return_url": f"https://billing.example.ru/pay/yookassa/success/?payment={payment.number}",
    }
    assert body["metadata"] == {
        "payment_number": payment.number,
        "billing_account": payment.billing_account.number,
    }
    assert payment.number in body["description"] and len(body["description"]) <= 128
    payment.refresh_from_db()
    assert payment.gateway_transaction_id is None  # known only once credited


def test_two_payments_get_two_api_payments(api, account, method):
    one = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    two = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    gateway = get_gateway("yookassa")
    assert gateway.start(one).url != gateway.start(two).url
    assert len(api.payments) == 2


def test_start_with_wrong_credentials_or_the_api_down_is_a_polite_error(api, payment, method):
    method.settings["secret_key"] = "wrong"
    method.save()
    payment.refresh_from_db()
    with translation.override("en"), pytest.raises(PaymentError, match="not available"):
        get_gateway("yookassa").start(payment)
    method.settings["secret_key"] = SECRET_KEY
    method.save()
    payment.refresh_from_db()
    api.down = True
    with translation.override("en"), pytest.raises(PaymentError, match="not available"):
        get_gateway("yookassa").start(payment)
    assert not api.payments


def test_a_closed_payment_is_never_offered_to_yookassa_again(api, payment):
    fail_payment(payment=payment, reason="declined")
    payment.refresh_from_db()
    action = get_gateway("yookassa").start(payment)
    assert action.url == f"/panel/payments/{payment.number}/"
    assert not api.requests


# --- notifications -------------------------------------------------------------------------------


def test_a_succeeded_payment_is_credited_once_and_a_replay_credits_nothing(client, api, payment):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    first = notify(client, api, payment_id)
    assert first.status_code == 200 and first.content == b""
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_transaction_id == payment_id
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    replay = notify(client, api, payment_id)
    assert replay.status_code == 200
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1
    assert api_lookups(api) == 2  # each delivery was checked with the API


def test_a_canceled_payment_fails(client, api, payment):
    payment_id = started(api, payment)
    api.cancel(payment_id)
    response = notify(client, api, payment_id, event="payment.canceled")
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert ledger_queries.balance(payment.billing_account) == Money.zero()


def test_a_forged_notification_for_a_payment_unknown_to_the_api_is_refused(client, api, payment):
    started(api, payment)
    forged = {
        "id": str(uuid.uuid4()),
        "status": "succeeded",
        "paid": True,
        "amount": {"value": "700.00", "currency": "RUB"},
        "metadata": {"payment_number": payment.number},
        "test": False,
    }
    body = json.dumps({"type": "notification", "event": "payment.succeeded", "object": forged})
    response = post(client, body.encode())
    assert refused(response, "does not know this payment")
    assert_nothing_credited(payment)


def test_a_succeeded_notification_for_a_payment_still_pending_at_the_api_is_refused(
    client, api, payment
):
    payment_id = started(api, payment)
    response = notify(client, api, payment_id, status="succeeded", paid=True)
    assert refused(response, "not final")
    assert_nothing_credited(payment)


def test_a_currency_at_the_api_other_than_the_payments_is_refused(client, api, payment):
    payment_id = started(api, payment)
    api.payments[payment_id]["amount"]["currency"] = "USD"
    api.succeed(payment_id)
    response = notify(client, api, payment_id)
    assert refused(response, "amount or currency differs")
    assert_nothing_credited(payment)


@pytest.mark.parametrize("value", ["700.01", "699.99"])
def test_another_amount_confirmed_by_the_api_is_credited_as_it_arrived_and_flagged(
    client, api, payment, value
):
    payment_id = started(api, payment)
    api.payments[payment_id]["amount"]["value"] = value
    api.succeed(payment_id)
    assert notify(client, api, payment_id).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.money == Money(value)
    assert [r["code"] for r in payment.review_reasons] == ["amount_differs"]
    assert ledger_queries.balance(payment.billing_account) == Money(value)


def test_a_notification_whose_amount_disagrees_with_the_api_is_refused(client, api, payment):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    response = notify(client, api, payment_id, amount={"value": "7000.00", "currency": "RUB"})
    assert refused(response, "disagrees with the API")
    assert_nothing_credited(payment)


def test_a_notification_whose_payment_number_disagrees_with_the_api_is_refused(
    client, api, account, method, payment
):
    other = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    payment_id = started(api, payment)
    api.succeed(payment_id)
    response = notify(client, api, payment_id, metadata={"payment_number": other.number})
    assert refused(response, "disagrees with the API")
    assert_nothing_credited(payment)
    assert_nothing_credited(other)


def test_an_api_payment_that_names_no_or_an_unknown_payment_is_refused(client, api, payment):
    no_number = api.add(status="succeeded", metadata={"order": "shop-42"})
    assert refused(notify(client, api, no_number), "no Hutor payment number")
    unknown = api.add(status="succeeded", metadata={"payment_number": "29999999"})
    assert refused(notify(client, api, unknown), "unknown payment")
    assert_nothing_credited(payment)


def test_a_payment_of_another_method_is_refused(client, api, account, method, payment_methods):
    demo_payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    payment_id = api.add(status="succeeded", metadata={"payment_number": demo_payment.number})
    response = notify(client, api, payment_id)
    assert refused(response, "another method")
    assert_nothing_credited(demo_payment)


@pytest.mark.parametrize(
    ("closed", "code"), [(PaymentStatus.EXPIRED, "late"), (PaymentStatus.FAILED, "after_failure")]
)
def test_an_expired_or_failed_payment_confirmed_by_the_api_is_credited_once_and_flagged(
    client, api, payment, closed, code
):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    if closed == PaymentStatus.FAILED:
        fail_payment(payment=payment, reason="declined by the payment service")
    else:
        Payment.objects.filter(pk=payment.pk).update(status=closed)
    assert notify(client, api, payment_id).status_code == 200
    assert notify(client, api, payment_id).status_code == 200  # YooKassa redelivers
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert [r["code"] for r in payment.review_reasons] == [code]
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


def test_a_late_notification_the_api_does_not_confirm_is_refused(client, api, payment):
    payment_id = started(api, payment)  # never paid at YooKassa
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.EXPIRED)
    assert refused(notify(client, api, payment_id, status="succeeded", paid=True), "not final")
    assert_nothing_credited(payment, status=PaymentStatus.EXPIRED)


@pytest.mark.parametrize("addr", [ELSEWHERE, "185.71.76.32", "2a03::1", "", "not-an-address"])
def test_a_notification_from_an_address_not_allowed_is_refused_without_asking_the_api(
    client, api, payment, addr
):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    response = notify(client, api, payment_id, addr=addr)
    assert refused(response, "address not allowed")
    assert api_lookups(api) == 0
    assert_nothing_credited(payment)


def test_yookassas_published_addresses_are_the_default_and_an_empty_list_allows_any(
    client, api, method, payment
):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    del method.settings["allowed_ips"]
    method.save()
    assert "77.75.156.11/32" in OFFICIAL_NOTIFIER_NETWORKS
    assert refused(notify(client, api, payment_id, addr="77.75.156.12"), "address not allowed")
    assert notify(client, api, payment_id, addr="2a02:5180:0:1::7").status_code == 200
    method.settings["allowed_ips"] = []
    method.save()
    assert notify(client, api, payment_id, addr=ELSEWHERE).status_code == 200
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


def test_behind_a_trusted_proxy_the_address_the_proxy_saw_is_checked(
    client, api, payment, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    payment_id = started(api, payment)
    api.succeed(payment_id)
    # The sender wrote YooKassa's address itself; the proxy appended the real one.
    spoofed = {"HTTP_X_FORWARDED_FOR": f"{YOOKASSA}, {ELSEWHERE}"}
    assert refused(notify(client, api, payment_id, addr="127.0.0.1", headers=spoofed), "address")
    genuine = {"HTTP_X_FORWARDED_FOR": f"{ELSEWHERE}, {YOOKASSA}"}
    assert notify(client, api, payment_id, addr="127.0.0.1", headers=genuine).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed body"),
        (b"\xff\xfe\x00{", "malformed body"),
        (b"", "malformed body"),
        (b'["notification"]', "not a YooKassa notification"),
        (b'{"type": "notification", "event": "payment.succeeded"}', "not a YooKassa"),
        (b'{"event": "payment.succeeded", "object": {"id": "x"}}', "not a YooKassa"),
        (
            b'{"type": "notification", "event": "payment.succeeded",'
            b' "object": {"id": "../refunds"}}',
            "malformed payment id",
        ),
    ],
)
def test_malformed_notifications_are_refused(client, api, payment, body, reason):
    started(api, payment)
    assert refused(post(client, body), reason)
    assert api_lookups(api) == 0
    assert_nothing_credited(payment)


def test_a_test_payment_notified_to_a_live_method_is_refused(client, api, method, payment):
    payment_id = started(api, payment)
    api.payments[payment_id]["test"] = True
    api.succeed(payment_id)
    response = notify(client, api, payment_id)
    assert refused(response, "test-mode")
    assert_nothing_credited(payment)
    method.is_test_mode = True
    method.save()
    assert notify(client, api, payment_id).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_events_hutor_does_not_act_on_are_acknowledged_and_change_nothing(client, api, payment):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    for event in ("refund.succeeded", "payment.waiting_for_capture", "deal.closed"):
        response = notify(client, api, payment_id, event=event)
        assert response.status_code == 200, event
    assert api_lookups(api) == 0
    assert_nothing_credited(payment)


def test_when_the_api_cannot_confirm_the_notification_is_refused_and_the_redelivery_credits(
    client, api, payment
):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    api.down = True
    assert refused(notify(client, api, payment_id), "could not confirm")
    assert_nothing_credited(payment)
    api.down = False  # YooKassa redelivers what was not answered 200
    assert notify(client, api, payment_id).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_another_shops_credentials_see_nothing(client, api, method, payment):
    payment_id = started(api, payment)
    api.succeed(payment_id)
    method.settings["shop_id"] = "999999"
    method.save()
    assert refused(notify(client, api, payment_id), "could not confirm")
    assert_nothing_credited(payment)
