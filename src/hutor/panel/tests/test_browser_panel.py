"""The customer's billing panel in a real browser (Debian's Chromium through Playwright).

1. A new customer, end to end: orders hosting on the storefront, sets the password from the
   activation email, finds the four blocks of S3 on the home page, tops up through the demo
   payment service (which pays the order invoice from the balance), renews the service and
   changes its tariff.
2. A tour of every page in Russian and English, at desktop and phone widths: each answers 200,
   has no script error and does not scroll sideways on a 390 px phone. With HUTOR_SCREENSHOTS
   set (`HUTOR_SCREENSHOTS=docs/screenshots .venv/bin/pytest -k tour`) it saves the screenshots
   of the documentation.

The selectors lean on URLs, form field names and data-testid attributes rather than on visible
texts, so that translating a string breaks no test.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hutor.accounts.models import BillingAccount
from hutor.catalog.models import Tariff, TariffPrice
from hutor.core.money import Money
from hutor.core.templatetags.money import format_money
from hutor.invoices import links
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.payments.actions import credit_payment, fail_payment, start_top_up
from hutor.payments.models import Payment, PaymentStatus
from hutor.services import actions as service_actions
from hutor.services.models import Service, ServiceStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-pass-2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def rub(amount: str, language: str = "ru") -> str:
    """An amount as the pages write it (the `money` filter)."""
    return format_money(Money(amount, "RUB"), language)


def new_page(
    browser: Browser, *, viewport: dict[str, int] = DESKTOP
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale="ru-RU", viewport=viewport)
    context.set_default_timeout(10_000)
    return context, context.new_page()


# --- 1. A new customer, end to end --------------------------------------------------------------


def test_a_new_customer_orders_pays_renews_and_changes_the_tariff(
    live_server, browser, catalog, payment_methods, settings
):
    settings.HUTOR_BASE_URL = live_server.url  # the emailed links lead to the live server
    url = live_server.url
    context, page = new_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The storefront -> the order form of hosting "Start", as a new customer.
    page.goto(url + "/")
    page.locator("a[href='/order/hosting/start/']").click()
    page.wait_for_url("**/order/hosting/start/")
    page.locator(f"input[name=price][value='{catalog.price(catalog.start, 3).pk}']").check()
    page.locator("input[name=identifier]").fill("romashka.ru")
    page.locator("input[name=email]").fill("olga@example.com")
    page.locator("input[name=name]").fill("Ольга Смирнова")
    page.locator("input[name=accept_offer]").check()
    page.locator("form.order-form button[type=submit]").click()
    page.wait_for_url("**/order/done/**")
    account = BillingAccount.objects.get()
    service = Service.objects.get()
    order_invoice = Invoice.objects.get()
    expect(page.locator("#account-number")).to_have_text(account.number)
    assert order_invoice.status == InvoiceStatus.UNPAID and order_invoice.total == 549

    # S2: the activation email; its one-time link sets the password and logs in.
    call_command("worker", "--once", stdout=StringIO())
    (activation,) = [m for m in mail.outbox if m.subject == "Вам открыт биллинг-аккаунт"]
    assert activation.to == ["olga@example.com"] and account.number in activation.body
    link = re.search(r"https?://\S+/activate/\S+/", activation.body)
    assert link is not None and link.group(0).startswith(url)
    page.goto(link.group(0))
    page.locator("input[name=new_password1]").fill(PASSWORD)
    page.locator("input[name=new_password2]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(url + "/panel/")

    # S3: the four blocks of the home page.
    expect(page.locator("#account-number")).to_have_text(account.number)  # 1
    expect(page.locator("[data-copy-target=account-number]")).to_be_visible()
    balance, credited = page.get_by_test_id("balance"), page.get_by_test_id("total-credited")
    expect(balance).to_have_text(rub("0"))  # 2
    created = timezone.localtime(account.created_at)
    with translation.override("ru"):
        created_text = date_format(created, "DATE_FORMAT")
    expect(page.get_by_test_id("created")).to_have_text(created_text)  # 3
    expect(credited).to_have_text(rub("0"))
    quick_services = page.get_by_test_id("quick-services")  # 4
    expect(quick_services.locator(f"a[href='/panel/services/{service.pk}/']")).to_be_visible()
    top_up = page.get_by_test_id("quick-top-up")
    expect(top_up.locator(f"input[name=method][value='{payment_methods.demo.pk}']")).to_be_visible()
    balance_before, credited_before = balance.inner_text(), credited.inner_text()

    # Top up 1000 through the demo payment service (S5: a payment, no invoice).
    top_up.locator("input[name=amount]").fill("1000")
    top_up.locator(f"input[name=method][value='{payment_methods.demo.pk}']").check()
    top_up.locator("button[type=submit]").click()
    page.wait_for_url("**/pay/demo/demo/*/")
    payment = Payment.objects.get()
    expect(page.locator("main")).to_contain_text(payment.number)
    page.locator("button[name=outcome][value=pay]").click()
    page.wait_for_url(f"**/panel/payments/{payment.number}/")
    expect(page.locator(".page-head .badge-succeeded")).to_be_visible()

    # The balance and the total grew; the order invoice was paid from the balance at once.
    page.locator(".panel-nav a[href='/panel/']").click()
    page.wait_for_url(url + "/panel/")
    expect(balance).to_have_text(rub("451"))  # 1000 - 549
    expect(credited).to_have_text(rub("1000"))
    assert balance.inner_text() != balance_before and credited.inner_text() != credited_before
    order_invoice.refresh_from_db()
    service.refresh_from_db()
    assert order_invoice.status == InvoiceStatus.PAID
    assert service.status == ServiceStatus.ACTIVE
    assert not Invoice.objects.exclude(kind=InvoiceKind.ORDER).exists()

    # Renew, from the quick box now that the service is active: a period -> the renewal
    # invoice, numbered at once (S4, S6) and paid from the balance.
    quick_services.locator(f"a[href='/panel/services/{service.pk}/renew/']").click()
    page.wait_for_url(f"**/panel/services/{service.pk}/renew/")
    page.locator(f"input[name=price][value='{catalog.price(catalog.start, 1).pk}']").check()
    page.locator(".panel-main form button[type=submit]").click()
    page.wait_for_url("**/panel/invoices/*/")
    renewal = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
    expect(page.locator(".page-head h1")).to_contain_text(renewal.number)
    expect(page.locator(".page-head .badge-paid")).to_be_visible()
    assert renewal.total == 199

    # Change the tariff: the quote is shown before confirming; an upgrade is invoiced.
    page.locator(".panel-nav a[href='/panel/']").click()
    expect(balance).to_have_text(rub("252"))  # 451 - 199
    quick_services.locator(f"a[href='/panel/services/{service.pk}/tariff/']").click()
    page.wait_for_url(f"**/panel/services/{service.pk}/tariff/")
    service.refresh_from_db()
    quote = service_actions.tariff_change_quote(service=service, new_tariff=catalog.pro)
    assert quote.is_upgrade
    option = page.locator(".tariff-option", has=page.locator(f"input[value='{catalog.pro.pk}']"))
    expect(option.locator(".quote")).to_contain_text(format_money(quote.amount, "ru"))
    option.locator("input[name=tariff]").check()
    page.locator(".panel-main form button[type=submit]").click()
    page.wait_for_url("**/panel/invoices/*/")
    change = Invoice.objects.get(kind=InvoiceKind.TARIFF_CHANGE)
    expect(page.locator(".page-head h1")).to_contain_text(change.number)
    assert change.total_money == quote.amount and change.status == InvoiceStatus.UNPAID
    # The balance (252) does not cover it: the invoice offers to top up the difference.
    expect(page.locator(f"form[action='/panel/invoices/{change.number}/pay/']")).to_be_visible()
    assert errors == []
    context.close()


# --- 2. Every page, both languages, desktop and phone --------------------------------------------


@dataclass
class Tour:
    account: BillingAccount
    hosting: Service
    unpaid_invoice: Invoice
    bank_payment: Payment
    demo_payment: Payment

    def panel_pages(self) -> list[tuple[str, str]]:
        hosting = f"/panel/services/{self.hosting.pk}/"
        return [
            ("home", "/panel/"),
            ("services", "/panel/services/"),
            ("service-detail", hosting),
            ("renew", hosting + "renew/"),
            ("change-tariff", hosting + "tariff/"),
            ("invoices", "/panel/invoices/"),
            ("invoice-detail", f"/panel/invoices/{self.unpaid_invoice.number}/"),
            ("top-up", "/panel/top-up/"),
            ("payments", "/panel/payments/"),
            ("payment-detail", f"/panel/payments/{self.bank_payment.number}/"),
            ("balance", "/panel/balance/"),
            ("bank-document", f"/panel/payments/{self.bank_payment.number}/document/"),
            ("profile", "/panel/profile/"),
            ("security", "/panel/security/"),
            (
                "demo-payment",
                f"/pay/{self.demo_payment.method.slug}/demo/{self.demo_payment.number}/",
            ),
        ]


def paid(payment: Payment) -> Payment:
    credit_payment(payment=payment, transaction_id=f"demo-{payment.number}", amount=payment.money)
    payment.refresh_from_db()
    return payment


def a_customer_with_a_history(account_factory, catalog, payment_methods) -> Tour:
    """A customer some months in: active services, paid, unpaid and cancelled invoices, and
    succeeded, failed and pending payments."""
    demo, bank = payment_methods.demo, payment_methods.bank
    # Two more hosting tariffs, so that changing tariff shows a credit and an unavailable one.
    mini = Tariff.objects.create(
        service_type=catalog.hosting, code="mini", name_ru="Мини", name_en="Mini"
    )
    TariffPrice.objects.create(tariff=mini, period_months=1, price="99.00")
    business = Tariff.objects.create(
        service_type=catalog.hosting, code="business", name_ru="Бизнес", name_en="Business"
    )
    TariffPrice.objects.create(tariff=business, period_months=12, price="9990.00")
    account = account_factory(
        email="olga@example.com", name="Ольга Смирнова", password=PASSWORD, notify=False
    )
    rub_ = lambda amount: Money(amount, "RUB")  # noqa: E731
    paid(start_top_up(billing_account=account, method=demo, amount=rub_("3000")))
    hosting = service_actions.place_order(
        billing_account=account,
        price=catalog.price(catalog.start, 12),
        identifier="romashka.ru",
        order_token=uuid.uuid4(),  # the order confirmation page's address
    )
    service_actions.place_order(
        billing_account=account, price=catalog.price(catalog.ru, 12), identifier="romashka.ru"
    )
    big = service_actions.place_order(
        billing_account=account, price=catalog.price(catalog.vps1, 12), identifier="big.romashka.ru"
    )
    service_actions.cancel_order(service=big)
    hosting.refresh_from_db()
    service_actions.renew(service=hosting, price=catalog.price(catalog.start, 1))
    failed = start_top_up(billing_account=account, method=demo, amount=rub_("500"))
    fail_payment(payment=failed, reason="declined by the payer")
    vps = service_actions.place_order(
        billing_account=account, price=catalog.price(catalog.vps1, 1), identifier="vps1.romashka.ru"
    )
    hosting.refresh_from_db()
    tour = Tour(
        account=account,
        hosting=hosting,
        unpaid_invoice=service_actions.order_invoice(vps),
        bank_payment=start_top_up(billing_account=account, method=bank, amount=rub_("5000")),
        demo_payment=start_top_up(billing_account=account, method=demo, amount=rub_("1000")),
    )
    assert hosting.status == ServiceStatus.ACTIVE
    assert tour.unpaid_invoice.status == InvoiceStatus.UNPAID
    assert Payment.objects.filter(status=PaymentStatus.FAILED).exists()
    return tour


# What makes a page wider than the screen: the elements sticking out on the right that no
# scrolling box clips (a table may scroll inside its .table-wrap).
WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.scrollWidth;
  if (width <= window.innerWidth) return "";
  const clipped = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(e))
    .slice(0, 4)
    .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}">`);
  return `${width}px wide: ${wide.join(", ")}`;
}"""


def visit(page: Page, url: str, *, phone: bool) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    if phone:
        wide = page.evaluate(WIDER_THAN_THE_SCREEN)
        assert not wide, f"{url} scrolls sideways on a phone: {wide}"


def test_tour_of_every_page_in_both_languages_at_desktop_and_phone_widths(
    live_server, browser, account_factory, catalog, payment_methods, settings, screenshot
):
    settings.HUTOR_BASE_URL = live_server.url
    tour = a_customer_with_a_history(account_factory, catalog, payment_methods)
    client = Client()
    client.force_login(tour.account.user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    public_invoice = links.public_url(tour.unpaid_invoice)
    errors: list[str] = []

    for language in ("ru", "en"):
        cookies = [
            {
                "name": django_settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            }
        ]
        # The public pages, at desktop width, as a visitor (the order form) or its owner.
        context, page = new_page(browser)
        page.on("pageerror", lambda error: errors.append(str(error)))
        context.add_cookies(cookies)
        visit(page, live_server.url + "/", phone=False)
        expect(page.locator("html")).to_have_attribute("lang", language)
        screenshot(page, f"storefront-{language}")
        visit(page, live_server.url + "/order/hosting/start/", phone=False)
        page.locator("input[name=identifier]").fill("romashka.ru")
        page.locator("input[name=email]").fill("olga@example.com")
        page.locator("input[name=name]").fill("Ольга Смирнова")
        page.locator("input[name=name]").blur()
        screenshot(page, f"order-form-{language}")
        visit(page, public_invoice, phone=False)
        screenshot(page, f"invoice-page-{language}")
        context.close()

        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context, page = new_page(browser, viewport=viewport)
            page.on("pageerror", lambda error: errors.append(str(error)))
            session_cookie = {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session,
                "url": live_server.url,
            }
            context.add_cookies([*cookies, session_cookie])  # type: ignore[list-item]
            if device == "desktop":
                token = tour.hosting.order_token
                visit(page, f"{live_server.url}/order/done/{token}/", phone=False)
                screenshot(page, f"order-confirmation-{language}")
            for name, path in tour.panel_pages():
                visit(page, live_server.url + path, phone=device == "phone")
                expect(page.locator("html")).to_have_attribute("lang", language)
                screenshot(page, f"panel-{name}-{language}-{device}")
            context.close()
    assert errors == []
