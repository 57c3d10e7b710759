"""Support tickets in a real browser (Debian's Chromium through Playwright).

A customer opens a ticket from the panel with a screenshot attached; a support member finds
it in the desk's queue, reads it beside the account's panel and answers; the customer sees
the answer on the ticket's page (and it is queued as an email). Both pages are looked at in
Russian at 1280 px and in English on a 390 px phone (no sideways scrolling, no script error).
With HUTOR_SCREENSHOTS set (`HUTOR_SCREENSHOTS=docs/screenshots .venv/bin/pytest -k
browser_support`) the docs' screenshots support-*.png are saved.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.notifications.models import OutboxEmail
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, new_page, visit
from hutor.services.actions import place_order
from hutor.support.models import Ticket, TicketStatus
from hutor.support.tests.data import department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def browser_as(browser, live_server, client: Client, *, language: str, viewport):
    context, page = new_page(browser, viewport=viewport)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {
                "name": django_settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            },
        ]
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_a_customer_opens_a_ticket_with_a_file_and_sees_the_staff_reply(
    live_server, browser, account_factory, catalog, top_up, django_user_model, screenshot
):
    department()
    account = account_factory(notify=False, name="Ольга Смирнова")
    top_up(account, "1000.00")
    place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="romashka.ru"
    )
    customer = Client()
    customer.force_login(account.user)
    context, page, errors = browser_as(
        browser, live_server, customer, language="ru", viewport=DESKTOP
    )

    # The customer: Support in the menu -> New ticket -> subject, department, service, text,
    # a screenshot -> sent; the ticket's page shows the number and the file.
    page.goto(live_server.url + "/panel/")
    page.locator(".panel-nav a[href='/panel/support/']").click()
    page.wait_for_url("**/panel/support/")
    page.get_by_test_id("new-ticket").first.click()
    page.wait_for_url("**/panel/support/new/")
    page.locator("input[name=subject]").fill("Сайт отвечает ошибкой 502")
    page.locator("select[name=department]").select_option(label="Техническая поддержка")
    page.locator("select[name=service]").select_option(index=1)
    page.locator("textarea[name=text]").fill(
        "С утра romashka.ru отвечает 502 Bad Gateway. Снимок экрана приложен."
    )
    page.locator("input[name=attachments]").set_input_files(
        [{"name": "ошибка-502.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_test_id("ticket-form").locator("button[type=submit]").click()
    page.wait_for_url("**/panel/support/T-*/")
    ticket = Ticket.objects.get()
    expect(page.get_by_test_id("ticket-number")).to_have_text(ticket.number)
    expect(page.get_by_test_id("ticket-file")).to_have_text("ошибка-502.png")
    with page.expect_download() as download:
        page.get_by_test_id("ticket-file").click()
    assert download.value.suggested_filename == "ошибка-502.png"

    # Support: the queue -> the ticket, beside the account's panel -> a reply.
    staff = django_user_model.objects.create_user(
        email="anna@staff.example", password="x", is_staff=True, full_name="Anna"
    )
    StaffProfile.objects.create(user=staff, role=Role.SUPPORT)
    desk_context, desk, desk_errors = browser_as(
        browser, live_server, desk_session(Client(), staff), language="ru", viewport=DESKTOP
    )
    desk.goto(live_server.url + "/desk/")
    desk.locator(".desk-nav a[href='/desk/tickets/']").click()
    desk.wait_for_url("**/desk/tickets/")
    desk.locator(f"tr[data-ticket='{ticket.number}'] a").first.click()
    desk.wait_for_url(f"**/desk/tickets/{ticket.number}/")
    panel = desk.get_by_test_id("account-panel")
    expect(panel).to_contain_text(account.number)
    expect(panel).to_contain_text("romashka.ru")
    desk.locator("textarea[name='reply-text']").fill(
        "Здравствуйте! Перезапустили веб-сервер, сайт снова открывается. Проверьте, пожалуйста."
    )
    desk.get_by_test_id("reply-form").locator("button[type=submit]").click()
    desk.wait_for_url(f"**/desk/tickets/{ticket.number}/")
    expect(desk.get_by_test_id("ticket-status")).to_have_text("Ждёт ответа клиента")
    desk.locator("textarea[name='note-text']").fill("Упал php-fpm на web3, перезапущен.")
    desk.get_by_test_id("note-form").locator("button[type=submit]").click()
    desk.wait_for_url(f"**/desk/tickets/{ticket.number}/")
    screenshot(desk, "support-desk-ticket-ru")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CUSTOMER
    assert OutboxEmail.objects.filter(template="support_reply", to_email=account.contact_email)

    # The customer sees the answer (and not the internal note).
    page.reload()
    thread = page.get_by_test_id("thread")
    expect(thread).to_contain_text("Перезапустили веб-сервер")
    expect(thread).not_to_contain_text("php-fpm")
    expect(page.get_by_test_id("ticket-status")).to_have_text("Ждёт ответа клиента")
    screenshot(page, "support-panel-ticket-ru")
    assert errors == [] and desk_errors == []
    context.close()
    desk_context.close()

    # English on a phone: both pages fit the screen.
    context, page, errors = browser_as(
        browser, live_server, customer, language="en", viewport=PHONE
    )
    visit(page, f"{live_server.url}/panel/support/{ticket.number}/", phone=True)
    expect(page.get_by_test_id("ticket-status")).to_have_text("Waiting for customer")
    screenshot(page, "support-panel-ticket-en-phone")
    desk_context, desk, desk_errors = browser_as(
        browser, live_server, desk_session(Client(), staff), language="en", viewport=PHONE
    )
    visit(desk, f"{live_server.url}/desk/tickets/{ticket.number}/", phone=True)
    expect(desk.get_by_test_id("thread")).to_contain_text("php-fpm")
    screenshot(desk, "support-desk-ticket-en-phone")
    assert errors == [] and desk_errors == []
    context.close()
    desk_context.close()
