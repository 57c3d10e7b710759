"""Issue 12's "must show": a new customer, in a real browser (Debian's Chromium), from the order
through the invoice email's pay link to a paid invoice and an "invoice paid" email, without
ever setting a password. With HUTOR_SCREENSHOTS set it saves the public invoice page, unpaid
and paid (`HUTOR_SCREENSHOTS=docs/screenshots .venv/bin/pytest -k pay_link`)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from hutor.accounts.models import BillingAccount
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.payments.models import Payment, PaymentStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_customer_pays_from_the_invoice_email_pay_link_without_a_password(
    live_server, browser, catalog, payment_methods, settings, screenshot
):
    settings.HUTOR_BASE_URL = live_server.url  # the emailed links lead to the live server
    url = live_server.url
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The order, as a new customer.
    page.goto(url + "/order/hosting/start/")
    page.locator(f"input[name=price][value='{catalog.price(catalog.start, 3).pk}']").check()
    page.locator("input[name=identifier]").fill("romashka.ru")
    page.locator("input[name=email]").fill("olga@example.com")
    page.locator("input[name=name]").fill("Ольга Смирнова")
    page.locator("input[name=accept_offer]").check()
    page.locator("form.order-form button[type=submit]").click()
    page.wait_for_url("**/order/done/**")
    account = BillingAccount.objects.get()
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.UNPAID

    # The invoice email: its «Оплатить счёт» link, and no `data:` image.
    call_command("worker", "--once", stdout=StringIO())
    (invoice_email,) = [m for m in mail.outbox if invoice.number in m.subject]
    html = invoice_email.alternatives[0][0]
    assert "data:image" not in html
    link = re.search(r'href="(https?://[^"]+/invoice/[^"]+/)"', html)
    assert link is not None and link.group(1).startswith(url)

    # A fresh browser (as if from the mail client), never logged in.
    context.clear_cookies()
    page.goto(link.group(1))
    expect(page.get_by_test_id("invoice-status")).to_have_text("Не оплачен")
    offers = page.get_by_test_id("invoice-pay")
    expect(offers.locator("button[data-method=bank]")).to_be_visible()
    screenshot(page, "invoice-public-unpaid-ru")
    offers.locator("button[data-method=demo]").click()
    page.wait_for_url("**/pay/demo/demo/*/")
    payment = Payment.objects.get()
    assert payment.invoice_id == invoice.pk and payment.amount == invoice.total
    page.locator("button[name=outcome][value=pay]").click()
    page.wait_for_url(link.group(1))  # back on the invoice's page, not on a login page
    expect(page.get_by_test_id("invoice-status")).to_have_text("Оплачен")
    expect(page.get_by_test_id("invoice-pay")).to_have_count(0)
    screenshot(page, "invoice-public-paid-ru")

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and payment.status == PaymentStatus.SUCCEEDED
    call_command("worker", "--once", stdout=StringIO())
    issued, paid_email = [m for m in mail.outbox if invoice.number in m.subject]
    assert paid_email.subject != issued.subject
    assert paid_email.to == ["olga@example.com"]
    assert paid_email.attachments[0][0] == f"invoice-{invoice.number}.pdf"
    (credited,) = [m for m in mail.outbox if payment.number in m.subject]
    assert invoice.number in credited.body and "romashka.ru" in credited.body

    account.user.refresh_from_db()
    assert not account.user.has_usable_password()  # never set a password
    assert errors == []
    context.close()
