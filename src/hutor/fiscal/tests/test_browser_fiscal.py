"""The desk's fiscal receipts in a real browser (Debian's Chromium): the Receipts list and a
payment's page, Russian at 1280 px and English on a 390 px phone (no sideways scrolling),
nothing refused by the Content-Security-Policy. With HUTOR_SCREENSHOTS set it saves
desk-fiscal-receipts-* and desk-payment-fiscal-* (ru, en-phone)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.core import clock
from hutor.fiscal.models import FiscalReceipt, ReceiptStatus
from hutor.fiscal.tests.test_receipts import pay
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, visit
from hutor.panel.tests.test_browser_support import browser_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = (("ru", DESKTOP, "ru", False), ("en", PHONE, "en-phone", True))


def registered_and_failed(client, account_factory, payment_methods, atol):
    with time_machine.travel(clock.now(), tick=True) as traveller:
        good = pay(client, account_factory(name="Ольга Смирнова"), payment_methods)
        call_command("worker", once=True)
        traveller.shift(dt.timedelta(minutes=1))
        call_command("worker", once=True)
        atol.fail_reports = True
        bad = pay(client, account_factory(name="Пётр Петров"), payment_methods, amount="1500.00")
        call_command("worker", once=True)
        traveller.shift(dt.timedelta(minutes=1))
        call_command("worker", once=True)
    statuses = dict(FiscalReceipt.objects.values_list("payment__number", "status"))
    assert statuses == {good.number: ReceiptStatus.REGISTERED, bad.number: ReceiptStatus.FAILED}
    return good, bad


def test_the_receipts_list_and_the_payment_page_in_both_languages_and_widths(
    live_server,
    browser,
    client,
    account_factory,
    payment_methods,
    register,
    atol,
    django_user_model,
    screenshot,
):
    good, _bad = registered_and_failed(client, account_factory, payment_methods, atol)
    accountant = django_user_model.objects.create_user(
        email="accountant@staff.example", password="x", is_staff=True, full_name="Accountant"
    )
    StaffProfile.objects.create(user=accountant, role=Role.ACCOUNTANT)
    desk = desk_session(Client(), accountant)
    errors: list[str] = []
    for language, viewport, suffix, phone in CASES:
        context, page, seen = browser_as(
            browser, live_server, desk, language=language, viewport=viewport
        )
        visit(page, live_server.url + "/desk/fiscal-receipts/", phone=phone)
        table = page.locator("#fiscal-receipts")
        expect(table).to_contain_text(good.number)
        expect(table).to_contain_text("3449555941")
        expect(table).to_contain_text("Превышено время ожидания")
        expect(
            table.get_by_role("link", name="Retry now" if language == "en" else "Повторить сейчас")
        ).to_be_visible()
        screenshot(page, f"desk-fiscal-receipts-{suffix}")
        visit(page, f"{live_server.url}/desk/payments/{good.number}/", phone=phone)
        expect(page.locator("#fiscal-receipts")).to_contain_text("3449555941")
        screenshot(page, f"desk-payment-fiscal-{suffix}")
        errors += seen
        context.close()
    assert errors == []
