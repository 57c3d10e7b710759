"""The public offer and the reconciliation statement in a real browser (Debian's Chromium):
Russian at 1280 px and English on a 390 px phone (no sideways scrolling), nothing refused by
the Content-Security-Policy (csp_clean). The customer reads the offer in force and asks for
the statement of this year from the balance page; an administrator reads the offer's
versions in the desk. With HUTOR_SCREENSHOTS set it saves panel-offer-*,
panel-reconciliation-*, desk-offers-*, desk-offer-* and desk-reconciliation-* (ru, en-phone)."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.core import clock
from hutor.demo.catalog import OFFER_TEXT_EN, OFFER_TEXT_RU
from hutor.offers import actions
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, visit
from hutor.panel.tests.test_browser_support import browser_as
from hutor.services.actions import place_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pass-word-2026"
CASES = (("ru", DESKTOP, "ru", False), ("en", PHONE, "en-phone", True))


def test_the_offer_and_the_reconciliation_statement_in_both_languages_and_widths(
    live_server, browser, account_factory, catalog, top_up, django_user_model, screenshot
):
    offer, _ = actions.save_draft(
        offer=None,
        values={
            "number": "1",
            "effective_from": clock.today(),
            "text_ru": OFFER_TEXT_RU,
            "text_en": OFFER_TEXT_EN,
        },
    )
    actions.publish(offer=offer)
    olga = account_factory(notify=False, name="Ольга Смирнова", password=PASSWORD)
    top_up(olga, "1000.00")
    place_order(billing_account=olga, price=catalog.price(catalog.start, 3), identifier="shop.ru")
    customer = Client()
    assert customer.login(email=olga.contact_email, password=PASSWORD)
    admin = django_user_model.objects.create_user(
        email="admin@staff.example", password="x", is_staff=True, full_name="Admin"
    )
    StaffProfile.objects.create(user=admin, role=Role.ADMIN)
    desk = desk_session(Client(), admin)
    start = clock.today().replace(month=1, day=1).isoformat()
    errors: list[str] = []
    for language, viewport, suffix, phone in CASES:
        context, page, seen = browser_as(
            browser, live_server, customer, language=language, viewport=viewport
        )
        visit(page, live_server.url + "/offer/", phone=phone)
        expect(page.locator("h1")).to_contain_text("№ 1")
        expect(page.locator(".offer-text")).to_contain_text(
            "Hutor Hosting LLC" if language == "en" else "ООО «Хутор Хостинг»"
        )
        screenshot(page, f"panel-offer-{suffix}")

        visit(page, live_server.url + "/panel/balance/", phone=phone)
        page.get_by_role(
            "link", name="Reconciliation statement" if language == "en" else "Акт сверки"
        ).click()
        page.locator("#id_start").fill(start)
        page.get_by_role("button", name="Show" if language == "en" else "Показать").click()
        expect(page.locator("table.recon")).to_be_visible()
        expect(page.locator("table.recon")).to_contain_text("549")
        expect(page.get_by_test_id("reconciliation-pdf")).to_be_visible()
        visit(page, page.url, phone=phone)
        screenshot(page, f"panel-reconciliation-{suffix}")
        errors += seen
        context.close()

        context, page, seen = browser_as(
            browser, live_server, desk, language=language, viewport=viewport
        )
        visit(page, live_server.url + "/desk/offers/", phone=phone)
        expect(page.get_by_test_id("offers")).to_contain_text("№ 1")
        screenshot(page, f"desk-offers-{suffix}")
        page.get_by_test_id("offers").get_by_role("link", name="№ 1").click()
        expect(page.locator("h1")).to_contain_text("№ 1")
        visit(page, page.url, phone=phone)
        screenshot(page, f"desk-offer-{suffix}")
        visit(
            page,
            f"{live_server.url}/desk/accounts/{olga.number}/reconciliation/?start={start}"
            f"&end={clock.today().isoformat()}",
            phone=phone,
        )
        expect(page.locator("table.recon")).to_be_visible()
        screenshot(page, f"desk-reconciliation-{suffix}")
        errors += seen
        context.close()
    assert errors == []
