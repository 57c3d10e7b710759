"""The desk in a real browser (Debian's Chromium): a support member logs in with the password
and the authenticator's code, and finds records by the numbers customers quote (S9).

With HUTOR_SCREENSHOTS set (`HUTOR_SCREENSHOTS=docs/screenshots .venv/bin/pytest -k desk`)
the screenshots of the docs are saved: desk-search.png, desk-account.png, desk-reports.png.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from hutor.accounts import numbers
from hutor.accounts.actions import open_billing_account
from hutor.backoffice import actions as desk
from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import PASSWORD, stored_secret, totp
from hutor.core import clock
from hutor.core.money import Money
from hutor.payments.actions import credit_payment, start_top_up
from hutor.services.actions import place_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fresh_code(secret: str) -> str:
    """The current code, not one about to expire while the browser submits it."""
    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.2)
    return totp(secret)


def log_in(page, base: str, user) -> None:
    page.goto(base + "/desk/")
    page.wait_for_url("**/desk/login/**")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator(".auth-card form button[type=submit]").click()
    page.wait_for_url("**/desk/login/code/**")
    page.locator("input[name=code]").fill(fresh_code(stored_secret(user)))
    page.locator(".auth-card form button[type=submit]").click()
    page.wait_for_url(base + "/desk/")


def search(page, text: str) -> None:
    box = page.locator("#desk-q")
    box.fill(text)
    box.press("Enter")


def mistype(number: str) -> str:
    """The number with its second-to-last digit changed: one wrong digit, as dictated."""
    i = len(number) - 2
    return number[:i] + str((int(number[i]) + 3) % 10) + number[i + 1 :]


def test_support_logs_in_with_the_second_factor_and_finds_records_by_number(
    live_server, browser, world, staff_factory, screenshot
):
    support = staff_factory(Role.SUPPORT)
    account, invoice = world.account, world.unpaid_invoice
    desk.adjust_balance(
        staff=staff_factory(Role.ACCOUNTANT),
        account=account,
        amount=Money("150.00"),
        credit=True,
        reason="Goodwill for the hosting outage on 20 Nov",
    )
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, support)
    expect(page.locator(".desk-user")).to_contain_text(support.email)

    # The billing account number: the account opens.
    search(page, account.number)
    page.wait_for_url(f"**/desk/accounts/{account.number}/")
    expect(page.locator("#account-number")).to_have_text(account.number)
    expect(page.locator("#invoices")).to_contain_text(invoice.number)
    expect(page.locator("#payments")).to_contain_text(world.payment.number)
    # Support sees no money actions, and writes a note.
    expect(page.locator(".desk-toolbar")).not_to_contain_text("Bank payment")
    page.locator(".desk-note-form textarea").fill("Called: will pay the VPS invoice on Friday.")
    page.locator(".desk-note-form button").click()
    page.wait_for_url(f"**/desk/accounts/{account.number}/#notes")
    expect(page.locator(".desk-notes")).to_contain_text("will pay the VPS invoice on Friday")
    expect(page.locator("#audit")).to_contain_text("Note added")  # the action in words
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "desk-account")

    # The invoice number as dictated, without its dash: the invoice opens.
    search(page, invoice.number.replace("-", ""))
    page.wait_for_url(f"**/desk/invoices/{invoice.number}/")
    expect(page.locator(".page-head h1")).to_contain_text(invoice.number)

    # A number with one wrong digit: the right account is offered, nothing is opened.
    typo = mistype(account.number)
    assert not numbers.is_valid(typo)
    search(page, typo)
    page.wait_for_load_state()
    assert "/desk/accounts/" not in page.url
    suggestions = page.locator("[data-testid=suggestions]")
    expect(suggestions).to_contain_text(account.number)
    expect(suggestions).not_to_contain_text(world.other.number)
    screenshot(page, "desk-search")
    suggestions.locator(f"a[href='/desk/accounts/{account.number}/']").click()
    page.wait_for_url(f"**/desk/accounts/{account.number}/")

    # Support may not see the reports.
    response = page.goto(live_server.url + "/desk/reports/payments/")
    assert response is not None and response.status == 403
    assert errors == []
    context.close()


def _history(world, staff) -> None:
    """A month of payments and a year of orders, suspensions and terminations, for the charts."""
    catalog, methods = world.catalog, world.methods
    today = clock.today()
    for days_ago in range(29, -1, -1):
        day = today - dt.timedelta(days=days_ago)
        with clock.travel(dt.datetime.combine(day, dt.time(12))):
            amount = Money(str(300 + (days_ago * 137) % 1700) + ".00")
            payment = start_top_up(billing_account=world.other, method=methods.demo, amount=amount)
            credit_payment(payment=payment, transaction_id=f"hist-{days_ago}", amount=amount)
            if days_ago % 3 == 0:
                desk.record_manual_payment(
                    staff=staff,
                    account=world.other,
                    amount=Money(str(1000 + days_ago * 50) + ".00"),
                    document_number=f"{400 + days_ago}",
                    document_date=day,
                    reason="Payment order from the bank statement",
                )
    # A customer who orders and does not pay: unpaid invoices of every age.
    debtor = open_billing_account(email="debtor@example.com", name="Должник", notify=False)
    for k, days_ago in enumerate((2, 12, 25, 41, 55, 80, 120, 150)):
        with clock.travel(dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(9))):
            place_order(
                billing_account=debtor,
                price=catalog.price(catalog.vps1 if k % 3 == 0 else catalog.pro, 1),
                identifier=f"debt{k}.example.ru",
            )
    prices = [
        catalog.price(catalog.start, 1),
        catalog.price(catalog.pro, 1),
        catalog.price(catalog.ru, 12),
        catalog.price(catalog.vps1, 1),
        catalog.price(catalog.support, 1),
    ]
    for months_ago in range(11, -1, -1):
        moment = dt.datetime.combine(today.replace(day=1), dt.time(10)) - dt.timedelta(
            days=30 * months_ago - 5
        )
        with clock.travel(moment):
            for k, price in enumerate(prices[: 2 + (11 - months_ago) % 4]):
                service = place_order(
                    billing_account=world.other,
                    price=price,
                    identifier=f"site{months_ago}-{k}.ru" if k != 3 else f"vps{months_ago}.host.ru",
                )
                if price.tariff.service_type.code == "admin":
                    continue
                if (months_ago * 7 + k * 3) % 5 < 2 and service.status == "active":
                    desk.suspend_service(staff=staff, service=service, reason="Abuse report")
                    if (months_ago + k) % 3 == 0:
                        desk.terminate_service(staff=staff, service=service, reason="Not paid")


def test_reports_show_charts_for_an_accountant(
    live_server, browser, world, staff_factory, screenshot
):
    admin = staff_factory(Role.ADMIN)
    with clock.travel(clock.today() - dt.timedelta(days=400)):
        desk.record_manual_payment(
            staff=admin,
            account=world.other,
            amount=Money("90000.00"),
            document_number="1",
            document_date=clock.today(),
            reason="Prepayment for the year",
        )
    _history(world, admin)
    accountant = staff_factory(Role.ACCOUNTANT)
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, accountant)
    page.locator(".desk-nav a[href='/desk/reports/']").click()
    page.wait_for_url("**/desk/reports/")
    # Five money and sales reports, and the two support ones.
    expect(page.locator(".desk-report-card")).to_have_count(7)
    expect(page.locator(".desk-report-card svg.chart").first).to_be_visible()
    assert page.locator("svg.chart rect.chart-bar").count() > 20
    screenshot(page, "desk-reports")
    with page.expect_download() as download:
        page.locator("a[href='/desk/reports/payments/?format=csv']").click()
    assert download.value.suggested_filename.startswith("hutor-payments-")
    context.close()
