"""The layout's parts rendered once per process ({% reused %}, core/templatetags/fragments.py)
give the bytes a fresh rendering gives: for the panel's pages, public pages and the help
center, a customer, staff and a visitor, in both languages, whoever saw the page before."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hutor.core.templatetags.fragments import uncached
from hutor.kb import guide
from hutor.services.actions import place_order

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
# What differs from one request to the next whatever the cache: the CSRF token's masked form
# and the money forms' one-time tokens.
PER_REQUEST = re.compile(
    r'(name="(?:csrfmiddlewaretoken|form_token)" value=)"[^"]+"|"X-CSRFToken": "[^"]+"'
)


def page(client: Client, path: str, language: str) -> str:
    response = client.get(path, headers={"accept-language": language})
    assert response.status_code == 200, path
    return PER_REQUEST.sub(r"\1", response.content.decode())


@pytest.mark.parametrize("language", ["ru", "en"])
def test_reused_parts_render_as_a_fresh_page(
    language, account_factory, catalog, payment_methods, top_up, admin_user
):
    guide.sync()  # the "?" of each page and the footer's guide link
    customer = account_factory(password=PASSWORD)
    top_up(customer, "300.00")
    place_order(billing_account=customer, price=catalog.price(catalog.start, 1), identifier="a.ru")
    clients = {"customer": Client(), "staff": Client(), "visitor": Client()}
    assert clients["customer"].login(email=customer.contact_email, password=PASSWORD)
    clients["staff"].force_login(admin_user)
    pages = {
        "customer": ["/panel/", "/panel/services/", "/panel/invoices/", "/panel/balance/", "/"],
        "staff": ["/panel/", "/", "/help/"],
        "visitor": ["/", "/help/", "/login/"],
    }
    with uncached():
        fresh = {
            (who, path): page(clients[who], path, language)
            for who, paths in pages.items()
            for path in paths
        }
    # Twice: the first fills the parts (visitor's pages after the customer's and staff's), the
    # second reads them.
    for _ in range(2):
        for (who, path), expected in fresh.items():
            assert page(clients[who], path, language) == expected, (who, path)
