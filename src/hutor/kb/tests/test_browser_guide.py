"""The guide in a real browser (Debian's Chromium): a customer presses "?" on a panel page and
reads the article about it, its pictures loaded from the help center's static files, in
Russian at 1280 px and English on a phone; staff see a newer shipped text of an article they
edited as a difference in the desk and take it. With HUTOR_SCREENSHOTS set it saves
guide-article-{ru-1280,en-phone}.png and kb-guide-shipped-{ru-1280,en-phone}.png."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.kb import actions, guide
from hutor.kb.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = (
    ("ru", {"width": 1280, "height": 860}, "ru-1280"),
    ("en", {"width": 390, "height": 844}, "en-phone"),
)


def context_for(browser, live_server, client: Client, language: str, viewport):
    context = browser.new_context(
        locale="ru-RU" if language == "ru" else "en-US", viewport=viewport
    )
    context.set_default_timeout(10_000)
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.LANGUAGE_COOKIE_NAME: language,
    }
    context.add_cookies(
        [{"name": n, "value": v, "url": live_server.url} for n, v in cookies.items()]
    )
    return context


def test_the_help_sign_opens_the_page_article_with_its_pictures(
    live_server, browser, account_factory, screenshot
):
    guide.sync()
    customer = Client()
    customer.force_login(account_factory(notify=False, name="Иван Петров").user)
    errors: list[str] = []
    for language, viewport, suffix in CASES:
        context = context_for(browser, live_server, customer, language, viewport)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + "/panel/balance/")
        page.get_by_test_id("page-help").click()
        spec = guide.shipped()["balance-history"]
        expect(page.locator("h1")).to_have_text(getattr(spec, f"title_{language}"))
        picture = page.locator(".kb-prose img").first
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.complete && img.naturalWidth") > 0
        device = "desktop" if viewport["width"] > 640 else "phone"  # <picture>: guide.py
        assert picture.evaluate("img => img.currentSrc").endswith(f"-{language}-{device}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"guide-article-{suffix}")
        # The footer's link: the table of contents, which links every task.
        page.go_back()
        page.get_by_test_id("guide-index").click()
        expect(page.locator("h1")).to_have_text(
            getattr(guide.shipped()["index"], f"title_{language}")
        )
        expect(page.locator(".kb-prose li a")).to_have_count(len(guide.shipped()) - 1)
        context.close()
    assert errors == []


def test_staff_see_the_newer_shipped_text_as_a_difference_and_take_it(
    live_server, browser, staff_factory, screenshot, monkeypatch
):
    guide.sync()
    article = Article.objects.get(guide_key="top-up")
    values = {name: getattr(article, name) for name in actions.ARTICLE_FIELDS}
    actions.save_article(
        article=article,
        values=values | {"body_ru": article.body_ru + "\nНаш собственный абзац о пополнении.\n"},
    )
    # As if this text came from an older release than the files'.
    Article.objects.filter(pk=article.pk).update(shipped_hash="0" * 64)
    client = desk_session(Client(), staff_factory(Role.SUPPORT))
    for language, viewport, suffix in CASES:
        context = context_for(browser, live_server, client, language, viewport)
        page = context.new_page()
        page.goto(f"{live_server.url}/desk/kb/{article.pk}/")
        shipped = page.get_by_test_id("kb-shipped")
        expect(shipped).to_be_visible()
        expect(shipped.locator("pre")).to_contain_text("+")
        screenshot(page, f"kb-guide-shipped-{suffix}")
        context.close()
    context = context_for(browser, live_server, client, "en", CASES[0][1])
    page = context.new_page()
    page.goto(f"{live_server.url}/desk/kb/{article.pk}/")
    page.get_by_test_id("kb-shipped").get_by_role("link", name="Take the shipped text").click()
    page.locator("textarea[name=reason], input[name=reason]").fill("The new release")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("kb-shipped")).to_have_count(0)
    context.close()
    article.refresh_from_db()
    assert article.body_ru == guide.shipped()["top-up"].body_ru
