"""YooKassa API v3: a payment created once per Hutor payment, and notifications believed only as
far as the API itself confirms them, credited exactly once.

The API is a small fake on 127.0.0.1 (ThreadingHTTPServer, random port) keeping payments in a
dict; it checks HTTP Basic credentials and answers a repeated Idempotence-Key with the first
answer, as YooKassa does. Nothing here can reach the real YooKassa: see `_only_loopback`.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import socket
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    Gateway,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundStatus,
)

pytestmark = pytest.mark.django_db

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


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch):
    """Only 127.0.0.1 is reachable (the fake API, the database): a test that would reach the
    real YooKassa fails instead of leaving the machine."""
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
    fake = FakeYooKassa()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.api_base = f"http://127.0.0.1:{server.server_port}/v3/"
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
        slug="yookassa",
        gateway=Gateway.YOOKASSA,
        name_ru="ЮKassa",
        name_en="YooKassa",
        settings={
            "shop_id": SHOP_ID,
            "secret_key": SECRET_KEY,
            "api_base": api.api_base,
            "allowed_ips": ["185.71.76.0/27", "2a02:5180::/32"],
        },
    )


@pytest.fixture
def payment(account, method):
    return start_top_up(billing_account=account, method=method, amount=Money("700.00"))


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


# --- refunds (finding 4) -------------------------------------------------------------------------
# A refund is a payments.Refund written pending with the debit of the balance, committed, then
# sent to YooKassa outside any transaction with the refund's own key as the Idempotence-Key,
# then concluded. The root conftest's guard fails any test that reaches YooKassa inside a
# transaction (hutor.testing.network_in_transaction_guard).


@pytest.fixture
def credited(client, api, payment):
    """The 700.00 payment, paid at YooKassa and credited to the balance."""
    payment_id = started(api, payment)
    api.succeed(payment_id)
    assert notify(client, api, payment_id).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


@pytest.fixture
def accountant(db):
    from django.test import Client

    from hutor.accounts.models import User
    from hutor.backoffice.models import Role, StaffProfile
    from hutor.backoffice.tests.conftest import desk_session

    user = User.objects.create_user(
        email="accountant@staff.example", password="x-Pass-2026!", is_staff=True
    )
    StaffProfile.objects.create(user=user, role=Role.ACCOUNTANT)
    return desk_session(Client(), user)


def desk_refund(desk, payment, amount: str, token: str | None = None, language: str = "en"):
    return desk.post(
        f"/desk/payments/{payment.number}/refund/",
        {"amount": amount, "reason": "Customer asked", "token": token or uuid.uuid4().hex},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def refund_posts(api) -> list[dict]:
    return [r for r in api.requests if r["verb"] == "POST" and r["path"] == "/v3/refunds"]


def test_two_equal_partial_refunds_made_on_purpose_are_two_refunds_at_yookassa(
    api, credited, accountant
):
    """Regression test for finding 4: the key was built from payment + amount, so the second
    equal refund within 24 hours got the first one's answer back (one real refund, two REFUND
    journal entries, the customer's balance debited twice)."""
    for _ in range(2):
        response = desk_refund(accountant, credited, "200.00")
        assert response.status_code == 302, response.content.decode()[:2000]
    assert len(api.refunds) == 2  # two real refunds
    refunds = list(Refund.objects.order_by("pk"))
    assert [r.status for r in refunds] == [RefundStatus.SUCCEEDED] * 2
    assert {r.gateway_refund_id for r in refunds} == set(api.refunds)
    entries = JournalEntry.objects.filter(kind="refund").order_by("pk")
    assert entries.count() == 2
    # One key per refund: the journal entry's and the Idempotence-Key YooKassa saw.
    assert [e.idempotency_key for e in entries] == [r.idempotency_key for r in refunds]
    assert [p["key"] for p in refund_posts(api)] == [r.idempotency_key for r in refunds]
    assert ledger_queries.balance(credited.billing_account) == Money("300.00")


def test_a_double_submitted_refund_form_is_one_refund(api, credited, accountant):
    token = uuid.uuid4().hex
    assert desk_refund(accountant, credited, "200.00", token).status_code == 302
    again = desk_refund(accountant, credited, "200.00", token)
    assert again.status_code == 302
    assert Refund.objects.count() == 1 and len(api.refunds) == 1
    assert len(refund_posts(api)) == 1
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    assert ledger_queries.balance(credited.billing_account) == Money("500.00")


def test_pending_and_succeeded_refunds_never_exceed_the_payment(api, credited, accountant):
    api.down = True  # the first refund gets no answer: it stays pending, its money reserved
    assert desk_refund(accountant, credited, "500.00").status_code == 302
    (pending,) = Refund.objects.all()
    assert pending.status == RefundStatus.PENDING
    assert ledger_queries.balance(credited.billing_account) == Money("200.00")
    response = desk_refund(accountant, credited, "300.00")
    assert response.status_code == 200
    assert "At most 200.00" in response.content.decode().replace("\xa0", " ")
    assert Refund.objects.count() == 1
    assert JournalEntry.objects.filter(kind="refund").count() == 1


def test_a_refund_the_balance_does_not_cover_is_refused_and_yookassa_is_not_asked(
    api, credited, accountant
):
    from hutor.backoffice.actions import adjust_balance

    adjust_balance(
        staff=accountant_user(),
        account=credited.billing_account,
        amount=Money("600.00"),
        credit=False,
        reason="Spent",
    )
    response = desk_refund(accountant, credited, "200.00")
    assert response.status_code == 200 and "already spent" in response.content.decode()
    assert not Refund.objects.exists() and not refund_posts(api)


def accountant_user():
    from hutor.accounts.models import User

    return User.objects.get(email="accountant@staff.example")


def test_a_refund_whose_answer_was_lost_stays_pending_and_the_retry_uses_the_same_key(
    api, credited, accountant, time_machine
):
    from hutor.payments.refunds import retry_pending_refunds

    api.lost_answers = 1  # YooKassa refunds, but its answer never reaches Hutor
    assert desk_refund(accountant, credited, "700.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.PENDING and refund.attempts == 1
    assert ledger_queries.balance(credited.billing_account) == Money.zero()  # reserved
    time_machine.move_to(refund.created_at + dt.timedelta(minutes=2))
    assert retry_pending_refunds() == 1  # what `hutor worker` runs
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.gateway_refund_id in api.refunds
    assert len(api.refunds) == 1  # refunded once
    assert [p["key"] for p in refund_posts(api)] == [refund.idempotency_key] * 2
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    assert ledger_queries.balance(credited.billing_account) == Money.zero()


def test_a_refund_pending_at_yookassa_is_looked_up_from_the_desk_and_confirmed(
    api, credited, accountant
):
    api.refund_status = "pending"
    assert desk_refund(accountant, credited, "300.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.PENDING and refund.gateway_refund_id in api.refunds
    page = accountant.get(f"/desk/payments/{credited.number}/").content.decode()
    retry_url = f"/desk/payments/{credited.number}/refunds/{refund.pk}/retry/"
    assert retry_url in page
    api.refunds[refund.gateway_refund_id]["status"] = "succeeded"
    response = accountant.post(retry_url, {"reason": "Customer says the money is not there"})
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert api.requests[-1]["verb"] == "GET"  # GET /refunds/{id}, no second refund
    assert len(api.refunds) == 1 and len(refund_posts(api)) == 1
    assert ledger_queries.balance(credited.billing_account) == Money("400.00")


def test_a_refund_yookassa_cancels_fails_and_gives_the_balance_back(api, credited, accountant):
    api.refund_status = "canceled"
    assert desk_refund(accountant, credited, "700.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.FAILED
    assert refund.failure_code == "canceled"
    assert refund.failure_params == {"code": "rejected_by_payee"}
    assert refund.reversal_entry is not None
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")
    url = f"/desk/payments/{credited.number}/"
    page = accountant.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Платёжный сервис отменил возврат (rejected_by_payee)." in page
    page = accountant.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The payment service canceled the refund (rejected_by_payee)." in page
    # Failed refunds reserve nothing: the whole payment can be refunded again.
    api.refund_status = "succeeded"
    assert desk_refund(accountant, credited, "700.00").status_code == 302
    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 1


def test_a_refund_yookassa_refuses_fails_with_its_error_code(api, credited, accountant):
    api.payments[credited.gateway_transaction_id]["status"] = "canceled"  # nothing to refund
    assert desk_refund(accountant, credited, "100.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.FAILED
    assert refund.failure_params == {"status": "400", "code": "invalid_request"}
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")


def test_the_guard_catches_a_refund_asked_inside_a_transaction(api, credited):
    """The old ordering (the gateway called inside the transaction that debited the balance)
    is what the root conftest's guard fails a test for."""
    from django.db import transaction

    from hutor.payments.refunds import open_refund
    from hutor.testing import NetworkInTransaction, network_in_transaction_guard

    refund = open_refund(payment=credited, amount=Money("100.00"))
    with pytest.raises(NetworkInTransaction, match=r"inside transaction\.atomic"):  # noqa: SIM117
        with network_in_transaction_guard():
            with transaction.atomic():
                get_gateway("yookassa").refund(refund)
    with network_in_transaction_guard() as guard:  # the same call outside: allowed
        get_gateway("yookassa").refund(refund)
    assert guard.violations == []


def test_hutor_worker_concludes_a_refund_left_pending(api, credited, accountant, time_machine):
    from io import StringIO

    from django.core.management import call_command

    api.down = True
    assert desk_refund(accountant, credited, "100.00").status_code == 302
    api.down = False
    (refund,) = Refund.objects.all()
    out = StringIO()
    call_command("worker", "--once", stdout=out)  # too fresh: left to the desk's own request
    assert "refunds: 0 concluded" in out.getvalue()
    time_machine.move_to(refund.created_at + dt.timedelta(minutes=5))
    call_command("worker", "--once", stdout=out)
    assert "refunds: 1 concluded" in out.getvalue()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and len(api.refunds) == 1
    # After a day the service may have forgotten the key: no more automatic asks.
    api.refund_status = "pending"
    late = desk_refund(accountant, credited, "50.00")
    assert late.status_code == 302
    stuck = Refund.objects.get(status=RefundStatus.PENDING)
    time_machine.move_to(stuck.created_at + dt.timedelta(hours=23, minutes=1))
    asked = len(api.requests)
    call_command("worker", "--once", stdout=out)
    assert len(api.requests) == asked
    from hutor.backoffice.tests.conftest import desk_session

    desk_session(accountant, accountant_user())  # a day later: logged in again
    response = accountant.post(
        f"/desk/payments/{credited.number}/refunds/{stuck.pk}/retry/",
        {"reason": "Customer calls"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and "too old" in response.content.decode()
    assert len(api.requests) == asked
    # Staff look it up in YooKassa's dashboard and conclude it by hand, asking nothing.
    page = accountant.get(f"/desk/payments/{credited.number}/").content.decode()
    resolve_url = f"/desk/payments/{credited.number}/refunds/{stuck.pk}/resolve/"
    assert resolve_url in page
    response = accountant.post(
        resolve_url,
        {"outcome": "refunded", "refund_id": stuck.gateway_refund_id, "reason": "In dashboard"},
    )
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert stuck.status == RefundStatus.SUCCEEDED and len(api.requests) == asked
    assert ledger_queries.balance(credited.billing_account) == Money("550.00")


def test_a_method_without_keys_fails_the_refund_and_gives_the_balance_back(
    api, method, credited, accountant
):
    method.settings["secret_key"] = ""
    method.save()
    response = desk_refund(accountant, credited, "100.00")
    assert response.status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.FAILED and refund.failure_code == "not_configured"
    assert not refund_posts(api)
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")


def test_refunds_are_listed_read_only_in_the_admin(api, credited, accountant, admin_client):
    assert desk_refund(accountant, credited, "100.00").status_code == 302
    (refund,) = Refund.objects.all()
    listing = admin_client.get("/admin/payments/refund/")
    assert listing.status_code == 200 and credited.number in listing.content.decode()
    assert admin_client.get(f"/admin/payments/refund/{refund.pk}/change/").status_code == 200
    assert admin_client.get("/admin/payments/refund/add/").status_code == 403
