"""Closing documents in a real browser (Debian's Chromium): the customer's list of acts and
invoices-factura, reached from the balance page, and the desk's account page with the
accountant's *Close a month again*; Russian at 1280 px, English on a 390 px phone, nothing
refused by the Content-Security-Policy. With HUTOR_SCREENSHOTS set it saves
panel-closing-documents-*, desk-closing-documents-* and desk-closing-regenerate-*."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.documents.tests.test_closing import COMPANY, at, close
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, visit
from hutor.panel.tests.test_browser_support import browser_as
from hutor.services.actions import place_order
from hutor.taxes.actions import add_rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pass-word-2026"
CASES = (("ru", DESKTOP, "ru", False), ("en", PHONE, "en-phone", True))


def test_the_acts_in_the_panel_and_the_desk(
    live_server, browser, account_factory, catalog, top_up, provider, django_user_model, screenshot
):
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(notify=False, password=PASSWORD, **COMPANY)
        top_up(account, "10000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.start, 3), identifier="romashka.ru"
        )
        place_order(billing_account=account, price=catalog.price(catalog.support, 1), identifier="")
    close("2026-02", "2026-03-01")
    close("2026-03", "2026-04-01")
    customer = Client()
    assert customer.login(email=account.contact_email, password=PASSWORD)
    accountant = django_user_model.objects.create_user(
        email="accountant@staff.example", password="x", is_staff=True, full_name="Accountant"
    )
    StaffProfile.objects.create(user=accountant, role=Role.ACCOUNTANT)
    desk = desk_session(Client(), accountant)
    errors: list[str] = []
    for language, viewport, suffix, phone in CASES:
        context, page, seen = browser_as(
            browser, live_server, customer, language=language, viewport=viewport
        )
        visit(page, live_server.url + "/panel/balance/", phone=phone)
        page.get_by_role(
            "link", name="Acts and invoices-factura" if language == "en" else "Акты и счета-фактуры"
        ).click()
        table = page.get_by_test_id("closing-documents")
        expect(table).to_contain_text("28.02.2026")
        expect(table).to_contain_text("Act №" if language == "en" else "Акт №")
        expect(
            table.get_by_role(
                "link", name="Invoice-factura" if language == "en" else "Счёт-фактура"
            ).first
        ).to_be_visible()
        # The invoice-factura of a VAT payer's act in the FNS XML format too.
        expect(table.get_by_role("link", name="XML").first).to_be_visible()
        visit(page, page.url, phone=phone)
        screenshot(page, f"panel-closing-documents-{suffix}")
        errors += seen
        context.close()

        context, page, seen = browser_as(
            browser, live_server, desk, language=language, viewport=viewport
        )
        visit(page, f"{live_server.url}/desk/accounts/{account.number}/", phone=phone)
        section = page.locator("#closing-documents")
        expect(section).to_contain_text("03.2026")
        section.scroll_into_view_if_needed()
        screenshot(page, f"desk-closing-documents-{suffix}", full_page=False)
        section.get_by_role(
            "link", name="Close a month again" if language == "en" else "Закрыть месяц заново"
        ).click()
        expect(page.locator("#id_month")).to_be_visible()
        visit(page, page.url, phone=phone)
        screenshot(page, f"desk-closing-regenerate-{suffix}")
        errors += seen
        context.close()
    assert errors == []
