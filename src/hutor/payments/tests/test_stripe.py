"""Stripe Checkout: a session created with the method's own key, and webhook events verified by
the official library's signature check, credited exactly once.

Events are signed here with the library's own test helper,
`stripe.WebhookSignature.generate_signature_header`. Sessions are created against a small fake
Stripe API on 127.0.0.1 (ThreadingHTTPServer, random port) that records the form-encoded
requests; nothing here can reach the real Stripe: see `_only_loopback`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

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
from hutor.payments.models import Gateway, Payment, PaymentMethod, PaymentStatus, RefundStatus
from hutor.payments.refunds import failure_text, open_refund, retry_refund, send_refund

pytestmark = pytest.mark.django_db

SECRET_KEY = "sk_live_51HutorTestOnlyNotAKey"
WEBHOOK_SECRET = "whsec_hutor_tests_only_not_a_secret"


# --- the fake API ------------------------------------------------------------------------------


class FakeStripe:
    """POST /v1/checkout/sessions, POST /v1/refunds and GET /v1/refunds/{id}, as far as Hutor
    uses them."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.intents: dict[str, int] = {}  # payment intent -> amount paid, in minor units
        self.refund_status = "succeeded"  # what a new refund starts as
        self.answers: dict[str, tuple[dict, dict]] = {}  # Idempotency-Key -> request, answer
        self.requests: list[dict] = []  # authorization, key and form of every request
        self.keys = {SECRET_KEY}
        self.down = False
        self.unavailable = False  # answer HTTP 503 (the library retries, then gives up)
        self.api_base = ""

    def answer(
        self, path: str, authorization: str, key: str, form: dict, verb: str = "POST"
    ) -> tuple[int, dict]:
        self.requests.append(
            {"authorization": authorization, "key": key, "form": form, "path": path, "verb": verb}
        )
        if authorization.removeprefix("Bearer ") not in self.keys:
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
        if self.unavailable:
            return 503, {"error": {"type": "api_error", "message": "Service unavailable"}}
        if self.down:
            return 400, {"error": {"type": "invalid_request_error", "code": "parameter_invalid"}}
        if verb == "GET" and path.removeprefix("/v1/refunds/") in self.refunds:
            # GET /v1/refunds/{id} (docs.stripe.com/api/refunds/retrieve): the refund object.
            return 200, self.refunds[path.removeprefix("/v1/refunds/")]
        if path == "/v1/refunds":
            return self.refund(key, form)
        if path != "/v1/checkout/sessions":
            return 404, {"error": {"type": "invalid_request_error", "message": "Unknown path"}}
        if key in self.answers and self.answers[key][0] != form:  # one request per key
            return 400, {"error": {"type": "idempotency_error", "message": "Keys for idempotent"}}
        if key not in self.answers:
            session_id = f"cs_test_{uuid.uuid4().hex}"
            self.sessions[session_id] = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "client_reference_id": form.get("client_reference_id"),
                "payment_status": "unpaid",
                "status": "open",
            }
            self.answers[key] = form, self.sessions[session_id]
        return 200, self.answers[key][1]

    def refund(self, key: str, form: dict) -> tuple[int, dict]:
        """POST /v1/refunds (docs.stripe.com/api/refunds/create): payment_intent and amount in
        minor units; the refund object out. A repeated Idempotency-Key gets the first answer
        (docs.stripe.com/api/idempotent_requests); a refund above what is left of the payment
        is refused (400, code amount_too_large; charge_already_refunded once nothing is left)."""
        if key in self.answers:
            if self.answers[key][0] != form:
                return 400, {"error": {"type": "idempotency_error", "message": "Keys for"}}
            return 200, self.answers[key][1]
        intent = form.get("payment_intent", "")
        if intent not in self.intents:
            return 400, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}
        done = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent and r["status"] != "failed"
        )
        left = self.intents[intent] - done
        if left <= 0 or int(form["amount"]) > left:
            code = "charge_already_refunded" if left <= 0 else "amount_too_large"
            return 400, {"error": {"type": "invalid_request_error", "code": code}}
        refund_id = f"re_{uuid.uuid4().hex[:24]}"
        self.refunds[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": int(form["amount"]),
            "currency": "rub",
            "payment_intent": intent,
            "status": self.refund_status,
        }
        self.answers[key] = form, self.refunds[refund_id]
        return 200, self.refunds[refund_id]


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        fake: FakeStripe = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        form = {name: values[0] for name, values in parse_qs(raw, keep_blank_values=True).items()}
        status, answer = fake.answer(
            self.path.split("?")[0],
            self.headers.get("Authorization", ""),
            self.headers.get("Idempotency-Key", ""),
            form,
            self.command,
        )
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch):
    """Only 127.0.0.1 is reachable (the fake API, the database): a test that would reach the
    real Stripe fails instead of leaving the machine."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo
    loopback = {"127.0.0.1", "::1", "localhost"}

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in loopback:
            raise OSError(f"the tests do not leave 127.0.0.1 (asked for {address[0]})")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in loopback:
            raise OSError(f"the tests do not leave 127.0.0.1 (asked for {host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def api():
    fake = FakeStripe()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.api_base = f"http://127.0.0.1:{server.server_port}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


# --- Hutor's side ------------------------------------------------------------------------------


@pytest.fixture
def account(account_factory):
    return account_factory()


@pytest.fixture
def method(db, api):
    return PaymentMethod.objects.create(
        slug="stripe",
        gateway=Gateway.STRIPE,
        name_ru="Stripe",
        name_en="Stripe",
        settings={
            "secret_key": SECRET_KEY,
            "webhook_secret": WEBHOOK_SECRET,
            "api_base": api.api_base,
        },
    )


@pytest.fixture
def payment(account, method):
    return start_top_up(billing_account=account, method=method, amount=Money("700.00"))


def event(payment, *, kind="checkout.session.completed", livemode=True, **changes) -> dict:
    """A webhook event as Stripe sends it for a Checkout Session (`changes` to the session)."""
    session = {
        "id": "cs_live_a1b2c3",
        "object": "checkout.session",
        "amount_subtotal": 70000,
        "amount_total": 70000,
        "client_reference_id": payment.number,
        "currency": "rub",
        "livemode": livemode,
        "metadata": {
            "payment_number": payment.number,
            "billing_account": payment.billing_account.number,
        },
        "mode": "payment",
        "payment_intent": "pi_3PqRsT2eZvKYlo2C0a1b2c3d",
        "payment_status": "paid",
        "status": "complete",
    } | changes
    return {
        "id": "evt_1PqRsT2eZvKYlo2C",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": session},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def post(client, body: bytes, header: str | None, slug: str = "stripe"):
    extra = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    return client.post(f"/pay/{slug}/result/", body, content_type="application/json", **extra)


def deliver(client, data: dict, *, secret=WEBHOOK_SECRET, timestamp=None, slug="stripe"):
    """POST an event signed the way Stripe signs it, by the library's own helper."""
    body = json.dumps(data)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return post(client, body.encode(), header, slug)


def assert_nothing_credited(payment, status=PaymentStatus.PENDING):
    payment.refresh_from_db()
    assert payment.status == status
    assert payment.gateway_transaction_id is None and payment.credit_entry_id is None
    assert ledger_queries.balance(payment.billing_account) == Money.zero()
    assert not JournalEntry.objects.filter(kind="top_up").exists()


def refused(response, reason: str) -> bool:
    return response.status_code == 400 and reason in response.content.decode()


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


# --- refunds (finding 4) -------------------------------------------------------------------------

INTENT = "pi_3PqRsT2eZvKYlo2C0a1b2c3d"  # the payment intent of `event`'s session


@pytest.fixture
def credited(client, api, payment):
    api.intents[INTENT] = 70000
    assert deliver(client, event(payment)).status_code == 200
    payment.refresh_from_db()
    assert payment.gateway_transaction_id == INTENT
    return payment


def refund(payment, amount: str, token: str | None = None):
    """Open a refund (committed) and send it, as the desk's refund action does."""
    opened = open_refund(payment=payment, amount=Money(amount), token=token)
    return send_refund(opened)


def refund_requests(api) -> list[dict]:
    return [r for r in api.requests if r["path"] == "/v1/refunds"]


def test_a_refund_is_sent_with_its_own_key_in_minor_units(api, credited):
    done = refund(credited, "200.00")
    assert done.status == RefundStatus.SUCCEEDED and done.gateway_refund_id in api.refunds
    (request,) = refund_requests(api)
    assert request["form"] == {"payment_intent": INTENT, "amount": "20000"}
    assert request["key"] == done.idempotency_key == done.entry.idempotency_key
    assert ledger_queries.balance(credited.billing_account) == Money("500.00")


def test_two_equal_partial_refunds_are_two_refunds_at_stripe(api, credited):
    """Regression test for finding 4, on Stripe (which had no refunds before)."""
    first, second = refund(credited, "200.00"), refund(credited, "200.00")
    assert first.idempotency_key != second.idempotency_key
    assert len(api.refunds) == 2
    assert JournalEntry.objects.filter(kind="refund").count() == 2
    assert ledger_queries.balance(credited.billing_account) == Money("300.00")


def test_a_refund_stripe_does_not_answer_stays_pending_and_the_retry_refunds_once(api, credited):
    api.unavailable = True
    pending = refund(credited, "700.00")
    assert pending.status == RefundStatus.PENDING and not api.refunds
    assert ledger_queries.balance(credited.billing_account) == Money.zero()  # reserved
    api.unavailable = False
    done = retry_refund(pending)
    assert done.status == RefundStatus.SUCCEEDED and len(api.refunds) == 1
    assert {r["key"] for r in refund_requests(api)} == {pending.idempotency_key}
    assert JournalEntry.objects.filter(kind="refund").count() == 1


def test_a_refund_stripe_refuses_fails_and_gives_the_balance_back(api, credited):
    api.intents[INTENT] = 0  # already refunded in Stripe's dashboard
    failed = refund(credited, "100.00")
    assert failed.status == RefundStatus.FAILED
    assert failed.failure_code == "refused"
    assert failed.failure_params == {"status": "400", "code": "charge_already_refunded"}
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")
    with translation.override("en"):
        assert "HTTP 400, charge_already_refunded" in failure_text(failed)


def test_a_refund_pending_at_stripe_is_looked_up_later(api, credited):
    api.refund_status = "pending"
    pending = refund(credited, "100.00")
    assert pending.status == RefundStatus.PENDING and pending.gateway_refund_id
    api.refunds[pending.gateway_refund_id]["status"] = "succeeded"
    assert retry_refund(pending).status == RefundStatus.SUCCEEDED
    assert api.requests[-1]["verb"] == "GET" and len(refund_requests(api)) == 1


def test_a_payment_credited_without_a_payment_intent_cannot_be_refunded(client, api, payment):
    assert deliver(client, event(payment, payment_intent=None)).status_code == 200
    payment.refresh_from_db()
    failed = refund(payment, "100.00")
    assert failed.status == RefundStatus.FAILED and failed.failure_code == "not_refundable"
    assert not refund_requests(api)
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
