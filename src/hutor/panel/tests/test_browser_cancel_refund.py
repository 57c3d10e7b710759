"""Cancelling a service with its unused paid days given back, in a real browser (Debian's
Chromium): Russian at 1280 px and English on a 390 px phone (no sideways scrolling), nothing
refused by the Content-Security-Policy. The customer opens the offer from the service's page,
reads the amount and what happens, confirms; the page then says what was given back and the
balance has it. The staff desk shows the same figure on its confirm page. With
HUTOR_SCREENSHOTS set it saves panel-cancel-refund-* and desk-cancel-refund-* (ru, en-phone)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, visit
from hutor.panel.tests.test_browser_support import browser_as
from hutor.services import cancellations
from hutor.services.actions import place_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pass-word-2026"
CASES = (("ru", DESKTOP, "ru", False), ("en", PHONE, "en-phone", True))
BUTTON = {"ru": "Отменить и вернуть", "en": "Cancel and get"}


def test_a_customer_cancels_a_service_and_gets_its_unused_days_back(
    live_server, browser, account_factory, catalog, top_up, django_user_model, screenshot
):
    errors: list[str] = []
    admin = django_user_model.objects.create_user(
        email="accountant@staff.example", password="x", is_staff=True, full_name="Accountant"
    )
    StaffProfile.objects.create(user=admin, role=Role.ADMIN)
    for number, (language, viewport, suffix, phone) in enumerate(CASES):
        olga = account_factory(
            notify=False,
            name="Ольга Смирнова",
            email=f"olga{number}@example.com",
            password=PASSWORD,
        )
        top_up(olga, "1000.00")
        service = place_order(
            billing_account=olga,
            price=catalog.price(catalog.start, 3),
            identifier=f"shop{number}.ru",
        )
        quote = cancellations.quote(service)
        assert quote.amount.amount > 0
        shown = f"{quote.amount.amount:.2f}".replace(".", "," if language == "ru" else ".")

        desk = desk_session(Client(), admin)
        context, page, seen = browser_as(
            browser, live_server, desk, language=language, viewport=viewport
        )
        visit(page, f"{live_server.url}/desk/services/{service.pk}/cancel-refund/", phone=phone)
        expect(page.locator("main")).to_contain_text(shown)
        screenshot(page, f"desk-cancel-refund-{suffix}")
        errors += seen
        context.close()

        customer = Client()
        assert customer.login(email=olga.contact_email, password=PASSWORD)
        context, page, seen = browser_as(
            browser, live_server, customer, language=language, viewport=viewport
        )
        visit(page, f"{live_server.url}/panel/services/{service.pk}/", phone=phone)
        page.get_by_role("link", name=re.compile(BUTTON[language])).click()
        expect(page.get_by_test_id("refund-amount")).to_contain_text(shown)
        visit(page, page.url, phone=phone)
        screenshot(page, f"panel-cancel-refund-{suffix}")
        before = ledger_queries.balance(olga)
        page.get_by_role("button", name=re.compile(BUTTON[language])).click()
        expect(page.get_by_test_id("cancelled")).to_contain_text(shown)
        # Gone from its server: no "being set up" notice for a service that is over.
        expect(page.get_by_test_id("service-setting-up")).to_have_count(0)
        assert ledger_queries.balance(olga) == before + Money(quote.amount.amount)
        visit(page, page.url, phone=phone)
        screenshot(page, f"panel-cancel-refund-done-{suffix}")
        errors += seen
        context.close()
    assert errors == []
