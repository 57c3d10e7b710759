"""The fake Stripe API on 127.0.0.1 and the helpers the Stripe tests share (their fixtures
are in conftest.py beside this module)."""

from __future__ import annotations

import json
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import stripe

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.models import PaymentStatus

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
