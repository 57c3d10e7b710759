"""The failures page in a real browser (Debian's Chromium): a sales member opens it from the
header, retries a failed email with a reason, and lands back on the page with it gone.

With HUTOR_SCREENSHOTS set the docs' screenshot desk-failures.png is saved.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_desk_failures_page_sales_retry_a_failed_email(
    live_server, browser, world, fail_for_good, staff_factory, screenshot
):
    email, task, _panel = fail_for_good()
    client = desk_session(Client(), staff_factory(Role.SALES))
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/desk/")
    page.locator(".desk-nav a", has_text="Failures").click()
    page.wait_for_url("**/desk/queue/")
    expect(page.locator("#emails")).to_contain_text("550 mailbox unavailable")
    expect(page.locator("#tasks")).to_contain_text("control panel unreachable")
    expect(page.locator("#tasks")).to_contain_text(world.account.number)
    screenshot(page, "desk-failures")

    page.locator("#emails a.btn", has_text="Retry").click()
    page.locator("textarea[name=reason]").fill("Mail server fixed")
    page.locator("form button[type=submit]", has_text="Retry").click()
    page.wait_for_url("**/desk/queue/")
    expect(page.locator(".desk-messages")).to_contain_text(email.to_email)
    expect(page.locator("#emails")).to_contain_text("No failed emails.")
    expect(page.locator("#tasks a.btn", has_text="Retry")).to_have_count(1)
    assert AuditEntry.objects.get(action="queue.retry").reason == "Mail server fixed"
    assert task.pk and errors == []
    context.close()
