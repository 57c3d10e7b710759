"""The domain search in a real browser (Debian's Chromium), Russian at 1280 px and English on a
phone: the results fit the screen, a free name's "Order" opens its form with the name filled
in. With HUTOR_SCREENSHOTS set it saves panel-domain-search-{ru-1280,en-phone}.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.panel.tests.test_domain_search import registry  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_domain_search_in_the_browser(live_server, browser, catalog, registry, screenshot):  # noqa: F811
    errors: list[str] = []
    for locale, viewport, name in (
        ("ru-RU", {"width": 1280, "height": 800}, "panel-domain-search-ru-1280"),
        ("en-US", {"width": 390, "height": 844}, "panel-domain-search-en-phone"),
    ):
        context = browser.new_context(locale=locale, viewport=viewport)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + "/")
        page.locator("a[href='/domains/']").first.click()
        page.locator("#domain-q").fill("romashka")
        page.locator("#domain-q").press("Enter")
        rows = page.get_by_test_id("domain-result")
        expect(rows).to_have_count(2)
        width = viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, name)
        context.close()
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.goto(live_server.url + "/domains/?q=romashka")
    page.locator("[data-available=yes] a").click()
    expect(page.get_by_label("Доменное имя")).to_have_value("romashka.рф")
    context.close()
    assert errors == []
