"""Fixtures of the fiscal tests: the fake ATOL Online v5 on a random port, the provider's cash
register pointing at it, a tax rule; only loopback is reachable while they run."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from decimal import Decimal
from http.server import ThreadingHTTPServer

import pytest

from hutor.fiscal.models import CashRegister
from hutor.fiscal.tests.fake_atol import GROUP, LOGIN, PASSWORD, FakeAtol, Handler
from hutor.taxes.models import TaxRegime, TaxRule


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch):
    """A test that would reach the real operator fails instead of leaving the machine."""
    real_connect = socket.socket.connect
    loopback = {"127.0.0.1", "::1", "localhost"}

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in loopback:
            raise OSError(f"the tests do not leave 127.0.0.1 (asked for {address[0]})")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def atol():
    fake = FakeAtol()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_port}/possystem/v5/"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def register(provider, atol):
    TaxRule.objects.create(
        provider=provider,
        regime=TaxRegime.GENERAL,
        rate=Decimal(20),
        effective_from=dt.date(2000, 1, 1),
    )
    TaxRule.objects.create(
        provider=provider,
        regime=TaxRegime.GENERAL,
        rate=Decimal(22),
        effective_from=dt.date(2026, 1, 1),
    )
    return make_register(provider, atol, (LOGIN, PASSWORD, GROUP), "test-hosting.ru")


def make_register(provider, atol, login: tuple[str, str, str], site: str) -> CashRegister:
    """A company's cash register at the fake operator: (login, password, group code), and the
    company's site (the place of settlement, and kassa@ it as the seller's email)."""
    name, password, group = login
    return CashRegister.objects.create(
        provider=provider,
        login=name,
        password=password,
        group_code=group,
        base_url=atol.base_url,
        payment_address=f"https://{site}",
        company_email=f"kassa@{site}",
    )
