"""The desk's sales ledger in a browser: an accountant picks the company and the quarter and
sees the ledger (the worked example of docs/documents-and-taxes.md), at 1280 px and on a phone,
in both languages, the page itself no wider than the window (the wide form scrolls inside its
frame). With HUTOR_SCREENSHOTS set, saves desk-sales-ledger-{ru,en}-1280.png and
desk-sales-ledger-ru-phone.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.backoffice.models import Role
from hutor.backoffice.tests.test_browser_desk import log_in
from hutor.documents.tests.test_sales_ledger import quarter  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_sales_ledger_page(
    live_server,
    browser,
    quarter,  # noqa: F811 (the fixture imported above)
    provider,
    staff_factory,
    screenshot,
    language,
):
    accountant = staff_factory(Role.ACCOUNTANT)
    locale = "ru-RU" if language == "ru" else "en-US"
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, accountant)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + "/desk/reports/sales-ledger/")
        page.locator("[name=quarter]").fill("2026Q1")
        page.locator("form:has([name=quarter]) [type=submit]").click()
        ledger = page.locator(".invoice-paper")
        expect(ledger).to_contain_text("А-1, 02.02.2026")
        expect(ledger).to_contain_text("2 391,86" if language == "ru" else "2,391.86")
        expect(page.get_by_test_id("sales-ledger-csv")).to_be_visible()
        expect(page.locator("#desk-q")).to_have_value("")  # the search box is not the form
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width == 1280:
            screenshot(page, f"desk-sales-ledger-{language}-1280", full_page=False)
        elif language == "ru":
            screenshot(page, "desk-sales-ledger-ru-phone")
    context.close()
