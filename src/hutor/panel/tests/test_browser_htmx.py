"""htmx, served by Hutor itself, swaps the auto-renew toggle in place in a real browser."""

import pytest

from hutor.services.actions import place_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pass-word-2026"


def test_auto_renew_toggles_in_place(live_server, browser, catalog, account_factory, top_up):
    account = account_factory(password=PASSWORD)
    top_up(account, "199.00")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="shop.ru"
    )
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + "/login/")
    page.fill("input[name=login]", account.contact_email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/panel/")
    page.goto(f"{live_server.url}/panel/services/{service.pk}/")
    page.evaluate("window.__stayed = true")  # gone if the page reloads
    page.locator("#auto-renew button").click()
    page.wait_for_selector('#auto-renew input[value="on"]', state="attached")
    assert page.evaluate("window.__stayed") is True  # swapped in place, no navigation
    service.refresh_from_db()
    assert service.auto_renew is False
    context.close()
