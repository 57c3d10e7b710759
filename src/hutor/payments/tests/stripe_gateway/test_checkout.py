"""Stripe Checkout: a session created with the method's own key, and webhook events verified by
the official library's signature check, credited exactly once.

Events are signed here with the library's own test helper,
`stripe.WebhookSignature.generate_signature_header`. Sessions are created against a small fake
Stripe API on 127.0.0.1 (ThreadingHTTPServer, random port) that records the form-encoded
requests; nothing here can reach the real Stripe: see `_only_loopback`.
"""

from __future__ import annotations

import json
import time

import pytest
import stripe
import time_machine
from django.utils import translation

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.actions import fail_payment, start_top_up
from hutor.payments.exceptions import PaymentError
from hutor.payments.gateways import get_gateway
from hutor.payments.models import Gateway, Payment, PaymentMethod, PaymentStatus
from hutor.payments.tests.stripe_gateway.fake import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    assert_nothing_credited,
    deliver,
    event,
    post,
    refused,
)

pytestmark = pytest.mark.django_db


# --- start ---------------------------------------------------------------------------------------


def test_start_creates_a_checkout_session_in_minor_units(api, payment, settings):
    settings.HUTOR_BASE_URL = "https://billing.example.com"
    action = get_gateway("stripe").start(payment)
    (session,) = api.sessions.values()
    assert action.url == session["url"] and action.method == "GET"
    (request,) = api.requests
    assert request["authorization"] == f"Bearer {SECRET_KEY}"
    form = request["form"]
    assert form["mode"] == "payment"
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][currency]"] == "rub"
    assert form["line_items[0][price_data][unit_amount]"] == "70000"
    assert payment.number in form["line_items[0][price_data][product_data][name]"]
    assert form["client_reference_id"] == payment.number
    assert form["metadata[payment_number]"] == payment.number
    assert form["metadata[billing_account]"] == payment.billing_account.number
    assert form["payment_intent_data[metadata][payment_number]"] == payment.number
    query = f"?payment={payment.number}"
    assert form["success_url"] == f"https://billing.example.com/pay/stripe/success/{query}"
    assert form["cancel_url"] == f"https://billing.example.com/pay/stripe/fail/{query}"
    payment.refresh_from_db()
    assert payment.gateway_transaction_id is None


def test_start_twice_gets_the_same_session_whatever_the_payers_language(api, payment):
    gateway = get_gateway("stripe")
    with translation.override("en"):
        first = gateway.start(payment)
    with translation.override("ru"):
        again = gateway.start(Payment.objects.get(pk=payment.pk))
    assert first.url == again.url and len(api.sessions) == 1
    assert api.requests[0]["key"] == api.requests[1]["key"] != ""


def test_each_method_uses_its_own_key_and_none_is_left_on_the_library(api, account, method):
    other = PaymentMethod.objects.create(
        slug="stripe-eu",
        gateway=Gateway.STRIPE,
        name_ru="Stripe EU",
        name_en="Stripe EU",
        settings={"secret_key": "sk_live_other", "webhook_secret": "whsec_other"}
        | {"api_base": api.api_base},
    )
    api.keys.add("sk_live_other")
    gateway = get_gateway("stripe")
    gateway.start(start_top_up(billing_account=account, method=method, amount=Money("100.00")))
    gateway.start(start_top_up(billing_account=account, method=other, amount=Money("100.00")))
    assert [r["authorization"] for r in api.requests] == [
        f"Bearer {SECRET_KEY}",
        "Bearer sk_live_other",
    ]
    assert stripe.api_key is None


def test_start_with_a_wrong_key_or_an_api_error_is_a_polite_error(api, payment, method):
    method.settings["secret_key"] = "sk_live_wrong"
    method.save()
    payment.refresh_from_db()
    with translation.override("en"), pytest.raises(PaymentError, match="not available"):
        get_gateway("stripe").start(payment)
    method.settings["secret_key"] = SECRET_KEY
    method.save()
    payment.refresh_from_db()
    api.down = True
    with translation.override("en"), pytest.raises(PaymentError, match="not available"):
        get_gateway("stripe").start(payment)
    assert not api.sessions


def test_a_closed_payment_is_never_offered_to_stripe_again(api, payment):
    fail_payment(payment=payment, reason="declined")
    payment.refresh_from_db()
    assert get_gateway("stripe").start(payment).url == f"/panel/payments/{payment.number}/"
    assert not api.requests


# --- webhook events -----------------------------------------------------------------------------


def test_a_paid_session_is_credited_once_and_a_replay_credits_nothing(client, payment):
    first = deliver(client, event(payment))
    assert first.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_transaction_id == "pi_3PqRsT2eZvKYlo2C0a1b2c3d"
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    replay = deliver(client, event(payment))
    assert replay.status_code == 200
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


def test_without_a_payment_intent_the_session_id_is_the_transaction(client, payment):
    assert deliver(client, event(payment, payment_intent=None)).status_code == 200
    payment.refresh_from_db()
    assert payment.gateway_transaction_id == "cs_live_a1b2c3"


def test_the_client_reference_alone_names_the_payment(client, payment):
    assert deliver(client, event(payment, metadata={})).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_forged_signatures_are_refused(client, payment):
    data = event(payment)
    body = json.dumps(data)
    assert refused(deliver(client, data, secret="whsec_guess"), "bad signature")
    # A genuine signature over another body: the amount changed after signing.
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    tampered = body.replace('"amount_total": 70000', '"amount_total": 7000000')
    assert tampered != body
    assert refused(post(client, tampered.encode(), header), "bad signature")
    for header in ("t=1,v1=" + "0" * 64, "garbage", f"t={int(time.time())}", "v1=abc"):
        assert refused(post(client, body.encode(), header), "bad signature"), header
    assert_nothing_credited(payment)


def test_a_missing_signature_header_is_refused(client, payment):
    assert refused(post(client, json.dumps(event(payment)).encode(), None), "Stripe-Signature")
    assert refused(post(client, json.dumps(event(payment)).encode(), ""), "Stripe-Signature")
    assert_nothing_credited(payment)


def test_an_event_signed_more_than_300_seconds_ago_is_refused(client, payment):
    old = int(time.time()) - 301
    assert refused(deliver(client, event(payment), timestamp=old), "bad signature")
    assert_nothing_credited(payment)
    recent = int(time.time()) - 290
    assert deliver(client, event(payment), timestamp=recent).status_code == 200


def test_a_delivery_replayed_after_the_tolerance_is_refused(client, payment):
    body = json.dumps(event(payment))
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    with time_machine.travel(time.time() + 301, tick=False):
        assert refused(post(client, body.encode(), header), "bad signature")
    assert_nothing_credited(payment)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"currency": "usd"}, "amount or currency differs"),
        ({"currency": "xts"}, "malformed amount"),
        ({"amount_total": "70000"}, "malformed amount"),
        ({"amount_total": 700.0}, "malformed amount"),
        ({"amount_total": None}, "malformed amount"),
        ({"client_reference_id": "29999999", "metadata": {}}, "unknown payment"),
        ({"client_reference_id": "29999999"}, "disagree"),
        ({"client_reference_id": None, "metadata": {}}, "no payment number"),
        ({"payment_intent": None, "id": None}, "no usable id"),
    ],
)
def test_mismatched_sessions_are_refused(client, payment, changes, reason):
    assert refused(deliver(client, event(payment, **changes)), reason)
    assert_nothing_credited(payment)


def test_a_payment_of_another_method_is_refused(client, account, method, payment_methods):
    demo_payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    assert refused(deliver(client, event(demo_payment)), "another method")
    assert_nothing_credited(demo_payment)


@pytest.mark.parametrize(
    ("closed", "code"), [(PaymentStatus.EXPIRED, "late"), (PaymentStatus.FAILED, "after_failure")]
)
def test_an_expired_or_failed_payment_is_credited_once_and_flagged(client, payment, closed, code):
    """A signed event is Stripe's word that the money was taken: it reaches the balance."""
    if closed == PaymentStatus.FAILED:
        fail_payment(payment=payment, reason="declined by the payment service")
    else:
        Payment.objects.filter(pk=payment.pk).update(status=closed)
    assert deliver(client, event(payment)).status_code == 200
    assert deliver(client, event(payment)).status_code == 200  # a replay credits nothing
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert [r["code"] for r in payment.review_reasons] == [code]
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


@pytest.mark.parametrize("total", [70001, 69999])
def test_another_amount_in_a_signed_event_is_credited_as_it_arrived(client, payment, total):
    assert deliver(client, event(payment, amount_total=total)).status_code == 200
    payment.refresh_from_db()
    arrived = Money({70001: "700.01", 69999: "699.99"}[total])
    assert payment.money == arrived
    assert [r["code"] for r in payment.review_reasons] == ["amount_differs"]
    assert ledger_queries.balance(payment.billing_account) == arrived


def test_an_expired_payment_with_a_bad_signature_is_refused(client, payment):
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.EXPIRED)
    body = json.dumps(event(payment))
    assert refused(post(client, body.encode(), "t=1,v1=" + "0" * 64), "bad signature")
    assert_nothing_credited(payment, status=PaymentStatus.EXPIRED)


def test_a_test_mode_event_to_a_live_method_is_refused(client, method, payment):
    assert refused(deliver(client, event(payment, livemode=False)), "test-mode")
    assert_nothing_credited(payment)
    method.is_test_mode = True
    method.save()
    assert deliver(client, event(payment, livemode=False)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00{", b"", b'{"object": "v2.core.event", "id": "evt_1"}'],
)
def test_malformed_bodies_are_refused_even_when_signed(client, payment, body):
    header = (
        "t=1,v1=00"
        if body.startswith(b"\xff")
        else stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
    )
    assert refused(post(client, body, header), "malformed body")
    assert_nothing_credited(payment)


@pytest.mark.parametrize(
    "kind", ["payment_intent.succeeded", "checkout.session.expired", "charge.refunded"]
)
def test_events_hutor_does_not_act_on_are_acknowledged_and_credit_nothing(client, payment, kind):
    response = deliver(client, event(payment, kind=kind))
    assert response.status_code == 200 and response.content == b"ignored"
    assert_nothing_credited(payment)


def test_a_session_paid_later_is_credited_by_the_async_success_event(client, payment):
    completed = deliver(client, event(payment, payment_status="unpaid"))
    assert completed.status_code == 200
    assert_nothing_credited(payment)
    kind = "checkout.session.async_payment_succeeded"
    assert deliver(client, event(payment, kind=kind)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
