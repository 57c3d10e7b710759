"""The desk's provider companies in a browser (issue 17): the list and a company's form at
1280 px and on a phone, in both languages, the page no wider than the window. With
HUTOR_SCREENSHOTS set, saves desk-companies-{ru,en}-1280.png, desk-company-edit-ru-1280.png
and desk-companies-ru-phone.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.backoffice.models import Role
from hutor.backoffice.tests.test_browser_desk import log_in
from hutor.core.tests.companies import company_b

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_companies_pages_at_1280_and_on_a_phone(
    live_server, browser, world, staff_factory, screenshot, language
):
    admin = staff_factory(Role.ADMIN)
    b = company_b(kinds=["company", "sole_proprietor"], prices_include_vat=False)
    locale = "ru-RU" if language == "ru" else "en-US"
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, admin)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + "/desk/admin/companies/")
        table = page.get_by_test_id("companies")
        expect(table).to_contain_text("Второй Хостинг")
        expect(table).to_contain_text("7728168971")
        expect(table).to_contain_text(b.settlement_account)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width == 1280:
            screenshot(page, f"desk-companies-{language}-1280", full_page=False)
        elif language == "ru":
            screenshot(page, "desk-companies-ru-phone")
        page.goto(live_server.url + f"/desk/admin/companies/{b.pk}/")
        expect(page.locator("input[name=inn]")).to_have_value("7728168971")
        expect(page.locator("input[name=account_1]")).to_have_value(b.settlement_account)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width == 1280 and language == "ru":
            screenshot(page, "desk-company-edit-ru-1280")
    context.close()
