"""Fixtures of the API's tests: staff and customer tokens made by the real actions, and a
client that speaks JSON with a token."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.test import Client

from hutor.backoffice.models import StaffProfile

_keys = itertools.count(1)


class Api:
    """The Django test client with a bearer token; POSTs get a fresh Idempotency-Key unless
    one is given (key=...)."""

    def __init__(self, client: Client, secret: str | None = None, language: str = "en") -> None:
        self.client = client
        self.secret = secret
        self.language = language

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": self.language}
        if self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        headers.update(extra or {})
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers(headers))

    def post(self, path: str, body: Any = None, *, key: str | None = "auto", headers=None):
        extra = dict(headers or {})
        if key == "auto":
            key = f"test-{next(_keys)}"
        if key is not None:
            extra["Idempotency-Key"] = key
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers(extra),
        )

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None):
        return self.client.put(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(headers),
        )


@pytest.fixture
def make_staff(db):
    from hutor.accounts.models import User

    counter = itertools.count(1)

    def make(role: str):
        user = User.objects.create_user(
            email=f"{role}{next(counter)}@staff.example", password="x", is_staff=True
        )
        StaffProfile.objects.create(user=user, role=role)
        return user

    return make


@pytest.fixture
def staff_api(db, make_staff, client):
    """staff_api(role, scopes=None) -> Api acting with a new staff token of that role."""
    from hutor.api import tokens

    admin = make_staff("admin")

    def make(role: str, scopes: list[str] | None = None, language: str = "en") -> Api:
        issued = tokens.create_staff_token(
            staff=admin, name=f"{role} robot", role=role, scopes=scopes, reason="tests"
        )
        return Api(Client(), issued.secret, language)

    make.admin = admin
    return make


@pytest.fixture
def customer_api(db):
    """customer_api(account) -> Api acting with a new customer token of that account."""
    from hutor.api import tokens

    def make(account, language: str = "en") -> Api:
        issued = tokens.create_customer_token(account=account, name="my script")
        return Api(Client(), issued.secret, language)

    return make


@pytest.fixture
def anonymous_api() -> Api:
    return Api(Client())


@pytest.fixture
def world(db, catalog, payment_methods, account_factory, top_up):
    """A company customer with a paid hosting, an unpaid VPS order, a credited demo top-up and
    a pending bank one; and another customer (whose things nobody else may reach)."""
    from types import SimpleNamespace

    from hutor.core.money import Money
    from hutor.payments.actions import credit_payment, start_top_up
    from hutor.services.actions import place_order

    account = account_factory(
        email="olga@example.com",
        name="ООО «Ромашка»",
        kind="company",
        inn="7707083893",
        kpp="773601001",
        address="Москва, ул. Лесная, 1",
    )
    top_up(account, "1000.00")
    hosting = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="romashka.ru"
    )
    vps = place_order(
        billing_account=account, price=catalog.price(catalog.vps1, 1), identifier="vps1.romashka.ru"
    )
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("500")
    )
    payment, _ = credit_payment(payment=payment, transaction_id="demo-txn-42", amount=payment.money)
    pending = start_top_up(
        billing_account=account, method=payment_methods.bank, amount=Money("300")
    )
    other = account_factory(email="petr@example.com", name="Пётр Петров")
    hosting.refresh_from_db()
    return SimpleNamespace(
        account=account,
        other=other,
        hosting=hosting,
        vps=vps,
        paid_invoice=hosting.invoice_lines.get().invoice,
        unpaid_invoice=vps.invoice_lines.first().invoice,
        payment=payment,
        pending_payment=pending,
        methods=payment_methods,
        catalog=catalog,
    )
