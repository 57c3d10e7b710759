"""The desk's service page in a real browser: paid periods and the service's history, in both
languages at a 1280 px window. With HUTOR_SCREENSHOTS set, saves desk-service-ru.png and
desk-service-en.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.backoffice import actions as desk
from hutor.backoffice.models import Role
from hutor.backoffice.tests.test_browser_desk import log_in
from hutor.services.actions import change_tariff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_service_page_shows_paid_periods_and_history(
    live_server, browser, world, staff_factory, catalog, top_up, screenshot, language
):
    support = staff_factory(Role.SUPPORT)
    hosting = world.hosting
    top_up(world.account, "2000.00")  # pays the open VPS order, then the upgrade below
    change_tariff(service=hosting, new_tariff=catalog.pro)
    desk.suspend_service(
        staff=staff_factory(Role.ADMIN), service=hosting, reason="Abuse report 4471"
    )
    locale = "ru-RU" if language == "ru" else "en-US"
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, support)
    page.goto(f"{live_server.url}/desk/services/{hosting.pk}/")
    history = "История" if language == "ru" else "History"
    expect(page.locator("h2", has_text=history)).to_be_visible()
    rows = page.locator("section", has=page.locator("h2", has_text=history)).locator("tbody tr")
    expect(rows).to_have_count(3)  # activated, tariff changed, suspended
    expect(rows.first).to_contain_text("Приостановлена" if language == "ru" else "Suspended")
    # Nothing sticks out of a 1280 px window.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, f"desk-service-{language}")
    assert errors == []
