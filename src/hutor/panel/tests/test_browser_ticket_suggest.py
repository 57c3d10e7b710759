"""Help articles suggested while the customer types a new ticket's subject, in a real browser
(Debian's Chromium): a pause in typing brings the matching articles under the field
(static/hutor/suggest.js asking the knowledge base's /help/suggest/), a link opens the
article, nothing is refused by the Content-Security-Policy (the csp_clean check); without
JavaScript the same form still opens the ticket. With HUTOR_SCREENSHOTS set it saves
support-panel-new-ticket-{ru,en-phone}.png."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from hutor.demo.kb import load_help
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE
from hutor.panel.tests.test_browser_support import browser_as
from hutor.support.models import Ticket
from hutor.support.tests.data import department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(account_factory):
    load_help()
    department()
    client = Client()
    client.force_login(account_factory(notify=False).user)
    return client


def test_articles_are_suggested_while_typing_the_subject(
    live_server, browser, customer, screenshot
):
    context, page, errors = browser_as(
        browser, live_server, customer, language="ru", viewport=DESKTOP
    )
    page.goto(live_server.url + "/panel/support/new/")
    box = page.get_by_test_id("subject-suggestions")
    expect(box).to_be_hidden()  # empty: takes no room
    page.locator("input[name=subject]").press_sequentially("Не могу оплатить", delay=40)
    suggestions = box.get_by_test_id("kb-suggestions")
    expect(suggestions).to_be_visible()
    expect(suggestions).to_contain_text("Оплата банковским переводом")
    screenshot(page, "support-panel-new-ticket-ru")
    # The link opens the article (in a new tab: the half-written ticket stays).
    with context.expect_page() as opened:
        suggestions.get_by_role("link", name="Оплата банковским переводом").click()
    article = opened.value
    expect(article.locator("h1")).to_have_text("Оплата банковским переводом")
    # A subject with no match clears the list; the form is sent as usual.
    page.locator("input[name=subject]").fill("Ывапролдж")
    page.locator("input[name=subject]").press("End")
    page.locator("input[name=subject]").press_sequentially(" щшгн", delay=40)
    expect(box.get_by_test_id("kb-suggestions")).to_have_count(0)
    page.locator("input[name=subject]").fill("Не могу оплатить счёт")
    page.locator("textarea[name=text]").fill("Банк не принимает реквизиты.")
    page.get_by_test_id("ticket-form").locator("button[type=submit]").click()
    page.wait_for_url("**/panel/support/T-*/")
    assert Ticket.objects.get().subject == "Не могу оплатить счёт"
    assert errors == []
    context.close()

    # English on a phone: the suggestion in the reader's language, the page fits the screen.
    context, page, errors = browser_as(
        browser, live_server, customer, language="en", viewport=PHONE
    )
    page.goto(live_server.url + "/panel/support/new/")
    page.locator("input[name=subject]").press_sequentially("bank transfer", delay=40)
    expect(page.get_by_test_id("kb-suggestions")).to_contain_text("bank transfer")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "support-panel-new-ticket-en-phone")
    assert errors == []
    context.close()


def test_without_javascript_the_form_still_opens_the_ticket(live_server, browser, customer):
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": customer.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(live_server.url + "/panel/support/new/")
    page.locator("input[name=subject]").fill("Не могу оплатить")
    page.locator("textarea[name=text]").fill("Помогите.")
    page.get_by_test_id("ticket-form").locator("button[type=submit]").click()
    page.wait_for_url("**/panel/support/T-*/")
    assert Ticket.objects.get().subject == "Не могу оплатить"
    context.close()
