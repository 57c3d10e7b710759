"""The token pages in a real browser (Debian's Chromium): an administrator makes a staff token
in the desk and a customer one in the panel; the secret is on the page once.

With HUTOR_SCREENSHOTS set (`HUTOR_SCREENSHOTS=docs/screenshots .venv/bin/pytest -k browser_tokens`)
the docs' screenshots are saved: desk-api-tokens-ru.png, panel-api-tokens-ru.png."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role
from hutor.conftest import open_desk_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = re.compile(r"htr_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def browser_page(browser, live_server, client: Client):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    return context, context.new_page()


def test_an_administrator_makes_a_staff_token_in_the_desk(
    browser, live_server, make_staff, screenshot
):
    admin = make_staff(Role.ADMIN)
    context, page = browser_page(browser, live_server, open_desk_session(Client(), admin))
    try:
        page.goto(live_server.url + "/desk/api-tokens/")
        page.locator("input[name=name]").fill("CRM")
        page.locator("select[name=role]").select_option(Role.SALES)
        page.locator("details.api-token-scopes summary").click()
        page.locator("input[name=scopes][value='service.suspend']").check()
        page.locator("input[name=expires_days]").fill("90")
        page.locator("textarea[name=reason]").fill("Интеграция с CRM")
        page.locator("form button[type=submit]").last.click()
        secret = page.locator("#api-token-secret")
        expect(secret).to_have_text(SECRET)
        expect(page.locator("table")).to_contain_text("CRM")
        screenshot(page, "desk-api-tokens-ru")
    finally:
        context.close()


def test_a_customer_makes_a_token_in_the_panel(browser, live_server, account_factory, screenshot):
    account = account_factory(password="Pass-word-2026", name="Анна Смирнова")
    client = Client()
    client.force_login(account.user)
    context, page = browser_page(browser, live_server, client)
    try:
        page.goto(live_server.url + "/panel/profile/")
        page.locator("#api-tokens a").click()
        page.locator("input[name=name]").fill("Телеграм-бот")
        page.locator("input[name=expires_days]").fill("365")
        page.locator("form.card button[type=submit]").click()
        expect(page.locator("#api-token-secret")).to_have_text(SECRET)
        screenshot(page, "panel-api-tokens-ru")
    finally:
        context.close()


def test_the_interactive_docs_render_under_the_content_security_policy(browser, live_server):
    """/api/v1/docs (Swagger UI from Hutor's own static files) works with the policy every
    page carries: the operations are listed, and nothing is refused (the csp_clean check)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        response = page.goto(live_server.url + "/api/v1/docs")
        assert response is not None and "script-src 'self'" in (
            response.headers.get("content-security-policy") or ""
        )
        expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
        expect(page.get_by_text("/api/v1/catalog/tariffs").first).to_be_visible()
    finally:
        context.close()
