"""Bad input to the customer's panel is a clear message, never a 500, and moves nothing
(issue 11, finding 10): the findings' regression tests, then every form of panel/urls.py that
takes input against the corpus of hostile values (core/tests/hostile.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from hutor.core.tests.hostile import HOSTILE, IDS, form_body, snapshot
from hutor.panel.tests.forms import form_token
from hutor.payments.models import Payment
from hutor.services.actions import place_order

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def customer(account_factory, catalog, payment_methods, top_up):
    """A logged-in customer with an active hosting service and a pending VPS order."""
    account = account_factory(password=PASSWORD)
    top_up(account, "300.00")
    account.service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="shop.ru"
    )
    account.pending = place_order(
        billing_account=account, price=catalog.price(catalog.vps1, 1), identifier="vps.shop.ru"
    )
    account.client = Client()
    account.client.force_login(account.user)
    account.catalog = catalog
    account.methods = payment_methods
    return account


def post(client: Client, url: str, fields: dict[str, Any]):
    return client.post(url, data=form_body(fields), content_type=FORM)


def has_form_error(response, client: Client | None = None) -> bool:
    """A page that says what is wrong: a field's error, the form's, or an error message (after
    the redirect, for forms that answer with one), or a bound form with errors (a hidden
    field's)."""
    if response.status_code == 302 and client is not None:
        response = client.get(response["Location"])
    if response.status_code != 200:
        return False
    page = response.content.decode()
    marks = ('class="field-error"', 'class="errorlist', "alert alert-error")
    if any(mark in page for mark in marks):
        return True
    form = response.context.get("form") if response.context else None
    return bool(form is not None and form.is_bound and form.errors)


# --- The findings, one by one (each failed with a 500 before the fix) -------------------------


@pytest.mark.parametrize("amount", ["1e30", "1E+40", "9e999999"])
def test_a_top_up_of_an_absurd_amount_is_a_form_error(customer, amount):
    before = snapshot()
    token = form_token(customer.client, "/panel/top-up/")
    response = post(
        customer.client,
        "/panel/top-up/",
        {"amount": amount, "method": customer.methods.demo.pk, **token},
    )
    assert has_form_error(response)
    assert "Введите сумму в виде 1500 или 1500.50." in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("path", "name"), [("renew", "price"), ("tariff", "tariff")])
def test_a_renewal_or_tariff_change_with_a_price_that_is_not_a_number_is_refused(
    customer, path, name
):
    before = snapshot()
    url = f"/panel/services/{customer.service.pk}/{path}/"
    for value in ("abc", "99999999999999999999", "-1", "١٢٣"):
        response = post(customer.client, url, {name: value, **form_token(customer.client, url)})
        assert has_form_error(response), value  # "Choose a period." / "Choose a tariff."
    assert snapshot() == before


def test_valid_amounts_are_still_taken_as_people_type_them(customer):
    for typed, expected in [("1 234,50", "1234.50"), ("1234.50", "1234.50"), ("500", "500.00")]:
        token = form_token(customer.client, "/panel/top-up/")
        response = post(
            customer.client,
            "/panel/top-up/",
            {"amount": typed, "method": customer.methods.bank.pk, **token},
        )
        assert response.status_code == 302, typed
        assert str(Payment.objects.order_by("-id")[0].amount) == expected


# --- Every form against the corpus ---------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """One form: its address, a valid submission, the fields every hostile value must be
    refused in (`attack`), and fields where a value may be acceptable (`probe`: never a 500,
    nothing moves; `guard` is left out of the submission so that it cannot succeed)."""

    url: Callable[[Any], str]
    valid: Callable[[Any], dict[str, Any]]
    attack: tuple[str, ...]
    probe: tuple[str, ...] = ()
    guard: str = ""
    logged_in: bool = True
    extra: dict[str, str] = field(default_factory=dict)


def _order_fields(c: Any) -> dict[str, Any]:
    return {
        "price": c.catalog.price(c.catalog.start, 1).pk,
        "identifier": "another-shop.ru",
        "accept_offer": "on",
        "order_token": str(uuid.uuid4()),
    }


def _new_customer_fields(c: Any) -> dict[str, Any]:
    return _order_fields(c) | {
        "email": "new@example.com",
        "name": "Новый Клиент",
        "kind": "individual",
    }


FORMS: dict[str, Form] = {
    "top-up": Form(
        url=lambda c: "/panel/top-up/",
        valid=lambda c: (
            {"amount": "500", "method": c.methods.demo.pk} | form_token(c.client, "/panel/top-up/")
        ),
        attack=("amount", "method"),
    ),
    "renew": Form(
        url=lambda c: f"/panel/services/{c.service.pk}/renew/",
        valid=lambda c: (
            {"price": c.catalog.price(c.catalog.start, 1).pk}
            | form_token(c.client, f"/panel/services/{c.service.pk}/renew/")
        ),
        attack=("price",),
    ),
    "change-tariff": Form(
        url=lambda c: f"/panel/services/{c.service.pk}/tariff/",
        valid=lambda c: (
            {"tariff": c.catalog.pro.pk}
            | form_token(c.client, f"/panel/services/{c.service.pk}/tariff/")
        ),
        attack=("tariff",),
    ),
    "auto-renew": Form(
        url=lambda c: f"/panel/services/{c.service.pk}/auto-renew/",
        valid=lambda c: {"auto_renew": "on"},
        attack=(),
        probe=("auto_renew",),
    ),
    "profile": Form(
        url=lambda c: "/panel/profile/",
        valid=lambda c: {"name": "Иван Петров", "language": "ru"},
        attack=("language",),
        probe=("name", "phone", "address", "inn", "kpp"),
    ),
    "profile-email": Form(
        url=lambda c: "/panel/profile/email/",
        valid=lambda c: {"email": "new-address@example.com"},
        attack=("email",),
    ),
    "order": Form(
        url=lambda c: "/order/hosting/start/",
        valid=_order_fields,
        attack=("price", "order_token"),
        probe=("identifier", "accept_offer"),
        guard="accept_offer",
    ),
    "order-new-customer": Form(
        url=lambda c: "/order/hosting/start/",
        valid=_new_customer_fields,
        attack=("price", "order_token", "email", "kind"),
        probe=("identifier", "name", "inn", "kpp", "address", "phone"),
        guard="accept_offer",
        logged_in=False,
    ),
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=IDS)
@pytest.mark.parametrize("form_name", FORMS)
def test_hostile_values_in_every_panel_form(customer, form_name, value):
    form = FORMS[form_name]
    client = customer.client if form.logged_in else Client()
    url = form.url(customer)
    before = snapshot()
    for name in form.attack:
        response = post(client, url, form.valid(customer) | {name: value})
        assert response.status_code < 500, name
        assert 400 <= response.status_code < 500 or has_form_error(response, client), (
            f"{name}: {response.status_code}"
        )
        assert snapshot() == before, name
    for name in form.probe:
        fields = form.valid(customer) | {name: value}
        fields.pop(form.guard, None)
        response = post(client, url, fields)
        assert response.status_code < 500, name
        assert snapshot() == before, name


@pytest.mark.parametrize("value", HOSTILE.values(), ids=IDS)
def test_hostile_values_in_panel_queries(customer, value):
    """The GET parameters the panel reads: the top-up's amount, page numbers, a status filter."""
    if len(value) > 1000:
        pytest.skip("no web server takes a request line that long (gunicorn stops at 4 KB)")
    for url, name in [
        ("/panel/top-up/", "amount"),
        ("/panel/payments/", "page"),
        ("/panel/balance/", "page"),
        ("/panel/invoices/", "page"),
        ("/panel/invoices/", "status"),
    ]:
        query = form_body({name: value}).decode()
        response = customer.client.get(f"{url}?{query}")
        assert response.status_code == 200, (url, name)
