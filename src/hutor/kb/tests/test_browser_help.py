"""The help center in a real browser (Debian's Chromium), Russian at 1280 px and English on a
phone, with the demo's articles: the search box finds articles by a verb (stemmed),
the article opens, "was this helpful" answers in place. With HUTOR_SCREENSHOTS set it saves
kb-help-{ru-1280,en-phone}.png and kb-article-{ru-1280,en-phone}.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.demo.kb import load_help
from hutor.kb.models import Vote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = (
    (
        "ru-RU",
        {"width": 1280, "height": 800},
        "ru-1280",
        "оплатить переводом",
        "Оплата банковским переводом",
        "Да",
    ),
    (
        "en-US",
        {"width": 390, "height": 844},
        "en-phone",
        "topping up balance",
        "Topping up the balance by any amount",  # the guide's (kb/guide/top-up.en.md)
        "Yes",
    ),
)


def test_the_help_center_search_and_an_article_in_the_browser(live_server, browser, screenshot):
    load_help()
    errors: list[str] = []
    for locale, viewport, suffix, query, heading, yes in CASES:
        context = browser.new_context(locale=locale, viewport=viewport)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + "/")
        page.locator("a[href='/help/']").first.click()
        expect(page.locator(".kb-category")).to_have_count(3)  # the demo's two and the guide
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"kb-help-{suffix}")

        page.locator("#kb-q").fill(query)
        page.locator("#kb-q").press("Enter")
        results = page.get_by_test_id("kb-result")
        expect(results.first).to_be_visible()
        assert results.locator("a").all_inner_texts()[0] == heading
        results.first.locator("a").click()
        expect(page.locator("h1")).to_have_text(heading)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"kb-article-{suffix}")

        page.get_by_role("button", name=yes, exact=True).click()
        expect(page.get_by_test_id("kb-vote").get_by_role("status")).to_be_visible()
        context.close()
    assert Vote.objects.filter(helpful=True).count() == 2  # one per visitor
    assert errors == []
