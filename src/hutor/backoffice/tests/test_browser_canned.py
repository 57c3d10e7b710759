"""A canned answer in a real browser (Debian's Chromium): support picks it in a ticket's reply
form, the desk's script puts the text rendered for the ticket into the reply (no inline
script: the page's CSP allows only the site's own files), and the reply is sent with it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.support import actions
from hutor.support.models import MessageKind
from hutor.support.tests.data import department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_support_inserts_a_canned_answer_into_the_reply(live_server, browser, world, staff_factory):
    actions.save_canned(
        answer=None,
        values={
            "title": "Balance",
            "text_ru": "Аккаунт {account_number}, обращение {ticket_number}.",
            "text_en": "Account {account_number}, ticket {ticket_number}.",
            "department": None,
            "is_active": True,
        },
    )
    ticket = actions.open_ticket(
        subject="Баланс?",
        text="Сколько на счёте?",
        department=department(),
        billing_account=world.account,
    )
    client = desk_session(Client(), staff_factory(Role.SUPPORT))
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

    def console(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    reply = page.locator("#id_reply-text")
    reply.fill("Добрый день! ")
    page.locator("[data-testid=canned-select]").select_option(label="Balance")
    expected = f"Добрый день! Аккаунт {world.account.number}, обращение {ticket.number}."
    expect(reply).to_have_value(expected)
    expect(page.locator("[data-testid=canned-select]")).to_have_value("")
    page.locator("[data-testid=reply-form] button[type=submit]").click()
    page.wait_for_url(f"**/desk/tickets/{ticket.number}/")
    assert ticket.messages.filter(kind=MessageKind.STAFF, text=expected).exists()
    assert errors == []
    context.close()
