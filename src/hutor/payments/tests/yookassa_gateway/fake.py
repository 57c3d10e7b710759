"""The fake YooKassa API v3 on 127.0.0.1 and the helpers the YooKassa tests share (their
fixtures are in conftest.py beside this module)."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.gateways import get_gateway
from hutor.payments.models import (
    PaymentStatus,
)

SHOP_ID = "506751"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
YOOKASSA = "185.71.76.10"  # inside 185.71.76.0/27
ELSEWHERE = "203.0.113.5"


# --- the fake API ------------------------------------------------------------------------------


class FakeYooKassa:
    """The part of YooKassa API v3 Hutor uses, in memory."""

    def __init__(self) -> None:
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.answers: dict[str, tuple[dict, dict]] = {}  # Idempotence-Key -> request, answer
        self.requests: list[dict] = []  # verb, path, key, body of every authorized request
        self.down = False  # answer every request with HTTP 500
        self.lost_answers = 0  # do the next N POSTs, then answer HTTP 500 (the answer is lost)
        self.refund_status = "succeeded"  # what a new refund starts as
        self.api_base = ""

    def add(self, *, amount="700.00", currency="RUB", metadata=None, status="pending", test=False):
        payment_id = str(uuid.uuid4())
        self.payments[payment_id] = {
            "id": payment_id,
            "status": status,
            "paid": status == "succeeded",
            "amount": {"value": amount, "currency": currency},
            "confirmation": {
                "type": "redirect",
                "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment_id}",
            },
            "created_at": "2026-01-22T14:30:45.129Z",
            "description": "",
            "metadata": metadata or {},
            "recipient": {"account_id": SHOP_ID, "gateway_id": "100700"},
            "refundable": False,
            "test": test,
        }
        return payment_id

    def succeed(self, payment_id: str) -> None:
        self.payments[payment_id].update(status="succeeded", paid=True, refundable=True)

    def cancel(self, payment_id: str) -> None:
        self.payments[payment_id].update(
            status="canceled",
            cancellation_details={"party": "yoo_money", "reason": "card_expired"},
        )

    def answer(self, verb: str, path: str, key: str, body: dict | None) -> tuple[int, dict]:
        self.requests.append({"verb": verb, "path": path, "key": key, "body": body})
        if self.down:
            return 500, {"type": "error", "code": "internal_server_error"}
        if verb == "POST":
            # Idempotence: the same key and request get the first answer back for 24 hours; the
            # same key with another request is an error (yookassa.ru/developers/using-api/
            # interaction-format#idempotence).
            if not key:
                return 400, {"type": "error", "code": "invalid_request"}
            if key not in self.answers:
                created = self.create(path, body or {})
                if created is None:
                    return 400, {"type": "error", "code": "invalid_request"}
                self.answers[key] = (body or {}), created
            if self.answers[key][0] != (body or {}):  # a key is for one request only
                return 400, {"type": "error", "code": "invalid_request"}
            if self.lost_answers:
                self.lost_answers -= 1
                return 500, {"type": "error", "code": "internal_server_error"}
            return 200, copy.deepcopy(self.answers[key][1])
        if path.startswith("/v3/payments/") and path.removeprefix("/v3/payments/") in self.payments:
            return 200, copy.deepcopy(self.payments[path.removeprefix("/v3/payments/")])
        # GET /refunds/{refund_id}: the refund object (yookassa.ru/developers/api#get_refund).
        if path.startswith("/v3/refunds/") and path.removeprefix("/v3/refunds/") in self.refunds:
            return 200, copy.deepcopy(self.refunds[path.removeprefix("/v3/refunds/")])
        return 404, {"type": "error", "code": "not_found"}

    def create(self, path: str, body: dict) -> dict | None:
        if path == "/v3/payments":
            payment_id = self.add(
                amount=body["amount"]["value"],
                currency=body["amount"]["currency"],
                metadata=body.get("metadata"),
            )
            self.payments[payment_id]["description"] = body.get("description", "")
            return self.payments[payment_id]
        # POST /refunds (yookassa.ru/developers/api#create_refund): payment_id and amount in;
        # a refund object out, status pending, succeeded or canceled. A refund above what is
        # left of the payment is refused (400 invalid_request).
        payment = self.payments.get(body.get("payment_id", ""))
        if payment is None or payment["status"] != "succeeded":
            return None
        done = sum(
            Decimal(r["amount"]["value"])
            for r in self.refunds.values()
            if r["payment_id"] == payment["id"] and r["status"] != "canceled"
        )
        if done + Decimal(body["amount"]["value"]) > Decimal(payment["amount"]["value"]):
            return None
        refund = {
            "id": str(uuid.uuid4()),
            "payment_id": payment["id"],
            "status": self.refund_status,
            "created_at": "2026-01-22T15:00:00.000Z",
            "amount": body["amount"],
        }
        if self.refund_status == "canceled":
            refund["cancellation_details"] = {"party": "yoo_money", "reason": "rejected_by_payee"}
        self.refunds[refund["id"]] = refund
        return refund


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self.reply()

    def do_POST(self) -> None:
        self.reply()

    def reply(self) -> None:
        fake: FakeYooKassa = self.server.fake
        expected = base64.b64encode(f"{SHOP_ID}:{SECRET_KEY}".encode()).decode()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Authorization") != f"Basic {expected}":
            status, answer = 401, {"type": "error", "code": "invalid_credentials"}
        else:
            body = json.loads(raw) if raw else None
            key = self.headers.get("Idempotence-Key", "")
            status, answer = fake.answer(self.command, self.path, key, body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


def started(api, payment) -> str:
    """Start the payment through the gateway; the YooKassa id it created."""
    get_gateway("yookassa").start(payment)
    (payment_id,) = (p["id"] for p in api.payments.values() if p["metadata"])
    return payment_id


def notify(
    client, api, payment_id, *, event="payment.succeeded", addr=YOOKASSA, headers=None, **changes
):
    """POST a notification as YooKassa sends it: the event and a copy of the payment object
    (with `changes` made to the copy)."""
    obj = copy.deepcopy(api.payments.get(payment_id, {"id": payment_id})) | changes
    body = json.dumps({"type": "notification", "event": event, "object": obj})
    return post(client, body.encode(), addr=addr, **(headers or {}))


def post(client, body: bytes, *, addr=YOOKASSA, slug="yookassa", **headers):
    return client.post(
        f"/pay/{slug}/result/", body, content_type="application/json", REMOTE_ADDR=addr, **headers
    )


def api_lookups(api) -> int:
    return sum(1 for r in api.requests if r["verb"] == "GET")


def assert_nothing_credited(payment, status=PaymentStatus.PENDING):
    payment.refresh_from_db()
    assert payment.status == status
    assert payment.gateway_transaction_id is None and payment.credit_entry_id is None
    assert ledger_queries.balance(payment.billing_account) == Money.zero()
    assert not JournalEntry.objects.filter(kind="top_up").exists()


def refused(response, reason: str) -> bool:
    return response.status_code == 400 and reason in response.content.decode()
