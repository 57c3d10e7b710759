"""Fixtures of the Stripe tests: the fake API on a random port, and a payment method that
talks to it; only loopback is reachable while they run."""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer

import pytest

from hutor.core.money import Money
from hutor.payments.actions import start_top_up
from hutor.payments.models import Gateway, PaymentMethod
from hutor.payments.tests.stripe_gateway.fake import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    Handler,
)


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
