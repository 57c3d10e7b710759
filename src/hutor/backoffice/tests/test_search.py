"""The one search box takes whatever the customer quotes (S9)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from hutor.accounts import numbers
from hutor.backoffice.models import Role
from hutor.backoffice.search import invoice_number, search
from hutor.backoffice.tests.conftest import desk_session
from hutor.services.actions import place_order

pytestmark = pytest.mark.django_db


def only(results) -> tuple[str, str]:
    hit = results.unique
    assert hit is not None, (results.hits, results.suggestions)
    return hit.kind, hit.title


def test_invoice_numbers_as_people_type_them():
    for text in ("26-000123", "26000123", "26/000123", "26 000123", "26–000123"):
        assert invoice_number(text) == "26-000123", text
    assert invoice_number("2600012") is None
    assert invoice_number("1000002") is None


def test_an_account_number_opens_the_account(world):
    number = world.account.number
    assert only(search(number)) == ("account", number)
    spaced = " ".join(number[i : i + 3] for i in range(0, len(number), 3))
    assert only(search(spaced)) == ("account", number)
    assert only(search(f"№ {number}")) == ("account", number)


def test_an_invoice_number_with_or_without_its_dash(world):
    number = world.unpaid_invoice.number
    for text in (number, number.replace("-", ""), number.replace("-", "/"), f"счёт {number}"):
        assert only(search(text)) == ("invoice", number), text


def test_a_payment_number_and_a_transaction_id(world):
    assert only(search(world.payment.number)) == ("payment", world.payment.number)
    assert only(search("demo-txn-42")) == ("payment", world.payment.number)


def test_an_email_in_any_case(world):
    assert only(search("OLGA@example.com ")) == ("account", world.account.number)


def test_a_domain_in_unicode_or_punycode(world):
    account = world.other
    service = place_order(
        billing_account=account,
        price=world.catalog.price(world.catalog.rf, 12),
        identifier="пример.рф",
    )
    for text in ("пример.рф", "ПРИМЕР.РФ", "xn--e1afmkfd.xn--p1ai", "https://пример.рф/"):
        assert only(search(text)) == ("service", service.identifier), text
    assert only(search("romashka.ru")) == ("service", "romashka.ru")
    # A subdomain finds the service of its domain.
    assert "romashka.ru" in [hit.title for hit in search("www.romashka.ru").hits]


def test_an_inn_and_several_matches_are_listed(world, account_factory):
    assert only(search("7707083893")) == ("account", world.account.number)
    twin = account_factory(
        name="ООО «Ромашка» (филиал)",
        kind="company",
        inn="7707083893",
        kpp="773601002",
        address="Тверь",
    )
    results = search("7707083893")
    assert results.unique is None
    assert {hit.title for hit in results.hits} == {world.account.number, twin.number}


def test_a_mistyped_account_number_is_never_opened_only_suggested(world):
    number = world.account.number
    substituted = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    swapped = number[:2] + number[3] + number[2] + number[4:]
    for typo in (substituted, swapped):
        if typo == number:
            continue
        assert not numbers.is_valid(typo)
        results = search(typo)
        assert results.unique is None and results.hits == []
        assert number in [hit.title for hit in results.suggestions], typo
        assert results.notes


def test_a_mistyped_number_far_from_any_account_says_so(world):
    typo = next(n for n in map(str, range(9999990, 9999999)) if not numbers.is_valid(n))
    results = search(typo)
    assert results.notes and not results.suggestions and not results.hits


def test_the_search_page_redirects_on_one_match_and_lists_otherwise(world, staff_factory):
    client = desk_session(Client(), staff_factory(Role.SUPPORT))
    url = reverse("desk:home")
    response = client.get(url, {"q": world.unpaid_invoice.number.replace("-", "")})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:invoice", args=[world.unpaid_invoice.number])

    number = world.account.number
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    page = client.get(url, {"q": typo})
    assert page.status_code == 200  # not opened
    html = page.content.decode()
    assert 'data-testid="suggestions"' in html
    assert reverse("desk:account", args=[number]) in html

    nothing = client.get(url, {"q": "nobody-at-all"}, HTTP_ACCEPT_LANGUAGE="en")
    assert nothing.status_code == 200 and "Nothing found" in nothing.content.decode()


def test_a_name_finds_accounts_when_nothing_else_does(world):
    results = search("Ромашка")
    assert world.account.number in [hit.title for hit in results.hits]
