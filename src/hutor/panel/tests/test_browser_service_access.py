"""The customer's service page with its access details in a real browser (Debian's Chromium), in
Russian and English at desktop and phone widths: the password shown once, a reset showing the
new one once, nothing wider than the screen. The service is created by the "script" module
running a real provider's script (hosting.py). With HUTOR_SCREENSHOTS set it saves
panel-service-access-{ru,en}-{desktop,phone}.png."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, WIDER_THAN_THE_SCREEN
from hutor.panel.tests.test_service_access import script_hosting, worker
from hutor.services.actions import place_order
from hutor.services.models import Service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_access_details_and_a_password_shown_once(
    live_server, browser, tmp_path, catalog, account_factory, top_up, screenshot
):
    folder = tmp_path / "scripts"
    script_hosting(folder, catalog)
    account = account_factory(email="olga@example.com", name="Ольга Смирнова")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 12), identifier="romashka.ru"
    )
    top_up(account, "2000.00")
    worker()
    client = Client()
    client.force_login(account.user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    url = f"{live_server.url}/panel/services/{service.pk}/"
    errors: list[str] = []
    shown: list[str] = []
    for language in ("ru", "en"):
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            locale = "ru-RU" if language == "ru" else "en-US"
            context = browser.new_context(locale=locale, viewport=viewport)
            context.set_default_timeout(10_000)
            context.add_cookies(
                [
                    {"name": name, "value": value, "url": live_server.url}
                    for name, value in (
                        (django_settings.SESSION_COOKIE_NAME, session),
                        (django_settings.LANGUAGE_COOKIE_NAME, language),
                    )
                ]
            )
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            expect(page.get_by_test_id("service-access")).to_be_visible()
            expect(page.locator("[data-access=login]")).to_contain_text(f"u{service.pk}")
            if not shown:
                password = Service.objects.get(pk=service.pk).password.reveal()
                expect(page.get_by_test_id("service-password")).to_have_text(password)
            else:
                # Shown once already: masked; a reset sets a new one and shows it once.
                expect(page.get_by_test_id("service-password-masked")).to_be_visible()
                page.get_by_test_id("service-reset-password").click()
                page.wait_for_url(url)
                password = Service.objects.get(pk=service.pk).password.reveal()
                expect(page.get_by_test_id("service-password")).to_have_text(password)
            assert password not in shown
            shown.append(password)
            assert not page.evaluate(WIDER_THAN_THE_SCREEN), (language, width)
            screenshot(page, f"panel-service-access-{language}-{width}")
            page.reload()
            expect(page.get_by_test_id("service-password-masked")).to_be_visible()
            assert password not in page.content()
            context.close()
    assert errors == []
