"""Bad input to the staff desk is a clear message, never a 500, and moves nothing (issue 11,
finding 10): the finding's regression test, then every desk form of backoffice/urls.py that
takes input, as an administrator (who may use them all), against the corpus of hostile values
(core/tests/hostile.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from axes.utils import reset as axes_reset
from django.core.cache import cache
from django.test import Client

from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import PASSWORD, desk_session
from hutor.core.tests.hostile import HOSTILE, form_body, snapshot
from hutor.ledger.models import EntryKind, JournalEntry

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def desk(world, staff_factory):
    user = staff_factory(Role.ADMIN)
    world.client = desk_session(Client(), user)
    world.staff = user
    world.colleague = staff_factory(Role.SUPPORT)
    return world


def post(client: Client, url: str, fields: dict[str, Any]):
    return client.post(url, data=form_body(fields), content_type=FORM)


def refused(response) -> bool:
    """A 4xx, or the form again with an error on it."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code != 200:
        return False
    page = response.content.decode()
    if "alert alert-error" in page or 'class="errorlist' in page or "field-error" in page:
        return True
    form = response.context.get("form") if response.context else None
    return bool(form is not None and form.is_bound and form.errors)


def test_a_balance_adjustment_of_1e30_is_a_form_error(desk):
    """Finding 10: this was a 500 (decimal.InvalidOperation)."""
    before = snapshot()
    response = post(
        desk.client,
        f"/desk/accounts/{desk.account.number}/adjust/",
        {"direction": "credit", "amount": "1e30", "reason": "Test", "token": uuid.uuid4().hex},
    )
    assert refused(response)
    assert "Введите сумму в виде 1500 или 1500.50." in response.content.decode()
    assert snapshot() == before


def test_an_adjustment_typed_with_a_comma_and_spaces_still_moves_it(desk):
    response = post(
        desk.client,
        f"/desk/accounts/{desk.account.number}/adjust/",
        {"direction": "credit", "amount": "1 234,50", "reason": "Goodwill", "token": "a" * 32},
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get(kind=EntryKind.ADJUSTMENT)
    assert entry.postings.filter(amount=Decimal("1234.50")).exists()


NOT_EMPTY = {key: value for key, value in HOSTILE.items() if value}


@pytest.mark.parametrize("value", NOT_EMPTY.values(), ids=list(NOT_EMPTY))
def test_a_one_time_token_that_is_not_ours_is_refused(desk, value):
    """The token becomes part of idempotency keys (and an order's token): only a UUID is one."""
    before = snapshot()
    for url, fields in [
        (
            f"/desk/accounts/{desk.account.number}/adjust/",
            {"direction": "credit", "amount": "100", "reason": "Test"},
        ),
        (
            f"/desk/accounts/{desk.account.number}/order/",
            {"price": desk.catalog.price(desk.catalog.start, 1).pk, "identifier": "x.ru"}
            | {"reason": "Test"},
        ),
    ]:
        response = post(desk.client, url, fields | {"token": value})
        assert refused(response), url
    assert snapshot() == before


# --- Every form against the corpus ---------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """One desk form: its address, a valid submission, the fields every hostile value must be
    refused in (`attack`), and fields where a value may be acceptable (`probe`: never a 500;
    the reason is left out so that nothing is performed)."""

    url: Callable[[Any], str]
    valid: Callable[[Any], dict[str, Any]]
    attack: tuple[str, ...] = ()
    probe: tuple[str, ...] = ()


def _reason(**fields: Any) -> dict[str, Any]:
    return fields | {"reason": "Проверка", "token": uuid.uuid4().hex}


def _provider_fields() -> dict[str, Any]:
    return {
        "legal_name": "ООО «Тест»",
        "short_name": "Тест",
        "inn": "7707083893",
        "kpp": "773601001",
        "address": "Москва",
        "bank_name": "Банк",
        "bik": "044525225",
        "correspondent_account": "30101810400000000225",
        "settlement_account": "40702810938000000001",
        "reason": "Проверка",
    }


def _account(c: Any, path: str) -> str:
    return f"/desk/accounts/{c.account.number}/{path}/"


FORMS: dict[str, Form] = {
    "note": Form(lambda c: _account(c, "notes"), lambda c: {"text": "x"}, probe=("text",)),
    "change-email": Form(
        lambda c: _account(c, "email"), lambda c: _reason(new_email="x@example.com"), ("new_email",)
    ),
    "order": Form(
        lambda c: _account(c, "order"),
        lambda c: _reason(price=c.catalog.price(c.catalog.start, 1).pk, identifier="x.ru"),
        ("price",),
        ("identifier", "token"),
    ),
    "payment-link": Form(
        lambda c: _account(c, "payment-link"),
        lambda c: _reason(method=c.methods.demo.pk, amount="500"),
        ("method", "amount"),
    ),
    "bank-payment": Form(
        lambda c: _account(c, "bank-payment"),
        lambda c: _reason(amount="500", document_number="п/п 1", document_date="2026-11-20"),
        ("amount", "document_date"),
        ("document_number",),
    ),
    "invoice-create": Form(
        lambda c: _account(c, "invoice"),
        lambda c: _reason(line_1_description="Работа", line_1_quantity="1", line_1_price="100"),
        ("line_1_price",),
        ("line_1_description", "line_1_quantity", "due_date"),  # an empty quantity means 1
    ),
    "adjust": Form(
        lambda c: _account(c, "adjust"),
        lambda c: _reason(direction="credit", amount="100"),
        ("amount", "direction"),
    ),
    "refund-balance": Form(
        lambda c: _account(c, "refund"),
        lambda c: _reason(amount="100", reference=""),
        ("amount",),
        ("reference",),
    ),
    "refund-gateway": Form(
        lambda c: f"/desk/payments/{c.payment.number}/refund/",
        lambda c: _reason(amount="100"),
        ("amount",),
    ),
    "service-renew": Form(
        lambda c: f"/desk/services/{c.hosting.pk}/renew/",
        lambda c: _reason(price=c.catalog.price(c.catalog.start, 1).pk),
        ("price",),
    ),
    "service-extend": Form(
        lambda c: f"/desk/services/{c.hosting.pk}/extend/",
        lambda c: _reason(until="2027-12-31"),
        ("until",),
    ),
    "service-suspend": Form(
        lambda c: f"/desk/services/{c.hosting.pk}/suspend/", lambda c: _reason(), probe=("token",)
    ),
    "invoice-cancel": Form(
        lambda c: f"/desk/invoices/{c.unpaid_invoice.number}/cancel/",
        lambda c: _reason(),
        probe=("token",),
    ),
    "staff-create": Form(
        lambda c: "/desk/admin/staff/new/",
        lambda c: (
            _reason(email="new@staff.example", full_name="N", role="support")
            | {"password": "a-Long-pass-2026"}
        ),
        ("email", "role"),
        ("full_name", "password"),
    ),
    "staff-update": Form(
        lambda c: f"/desk/admin/staff/{c.colleague.pk}/",
        lambda c: _reason(role="sales", is_active="on"),
        ("role",),
        ("is_active",),
    ),
    "provider": Form(
        lambda c: "/desk/admin/provider/",
        lambda c: _provider_fields(),
        probe=("inn", "kpp", "ogrn", "bik", "email", "website", "phone"),
    ),
}


@pytest.mark.parametrize("form_name", FORMS)
def test_hostile_values_in_every_desk_form(desk, form_name):
    """One test per form, every value of the corpus in every field (the desk's fixture is
    heavy: one per value would take minutes)."""
    form = FORMS[form_name]
    url = form.url(desk)
    before = snapshot()
    for key, value in HOSTILE.items():
        for name in form.attack:
            response = post(desk.client, url, form.valid(desk) | {name: value})
            assert response.status_code < 500, (key, name)
            assert refused(response), (key, name, response.status_code)
            assert snapshot() == before, (key, name)
        for name in form.probe:
            fields = form.valid(desk) | {name: value}
            fields.pop("reason", None)
            response = post(desk.client, url, fields)
            assert response.status_code < 500, (key, name)
            assert snapshot() == before, (key, name)


def test_hostile_values_in_desk_queries(desk):
    """Search, the audit log's filter, and every report's parameters (dates at the ends of the
    calendar included: a day before 0001-01-01 is no date)."""
    from hutor.backoffice.reports import REPORTS

    pages = [("/desk/", ("q",)), ("/desk/audit/", ("staff", "account", "action", "page"))]
    pages.append(("/desk/audit/", ("date_from", "date_to")))
    pages += [
        (f"/desk/reports/{slug}/", ("from", "to", "by", "days", "currency")) for slug in REPORTS
    ]
    # No megabyte: no web server takes a request line that long (gunicorn stops at 4 KB).
    short = [value for value in HOSTILE.values() if len(value) < 1000]
    for value in [*short, "0001-01-01", "9999-12-31"]:
        for url, names in pages:
            # Every parameter of the page at once: each is read on its own.
            query = form_body(dict.fromkeys(names, value)).decode()
            response = desk.client.get(f"{url}?{query}")
            assert response.status_code in (200, 302), (url, str(value)[:20])


def test_hostile_values_in_the_desk_login(staff_factory):
    user = staff_factory(Role.SUPPORT)
    for key, value in HOSTILE.items():
        cache.clear()  # the login throttles count refusals; each value gets a fresh count
        axes_reset()
        client = Client()
        response = post(client, "/desk/login/", {"email": value, "password": PASSWORD})
        assert response.status_code < 500 and refused(response), key
        response = post(client, "/desk/login/", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, key
        response = post(client, "/desk/login/code/", {"code": value})
        assert response.status_code < 500 and refused(response), key
