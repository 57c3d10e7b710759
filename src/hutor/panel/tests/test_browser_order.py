"""A new customer orders in a real browser (Debian's Chromium): storefront -> order form ->
confirmation with the account and invoice numbers -> the invoice page and its PDF."""

import pytest

from hutor.accounts.models import BillingAccount
from hutor.invoices import links
from hutor.invoices.models import Invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_customer_orders_hosting_in_the_browser(live_server, browser, catalog, screenshot):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert "Хостинг" in page.content()
    screenshot(page, "storefront-ru")

    page.goto(live_server.url + "/order/hosting/start/")
    page.get_by_label("3 мес", exact=False).first.check()
    page.get_by_label("Доменное имя").fill("romashka.ru")
    page.get_by_label("Контактный email").fill("olga@example.com")
    page.get_by_label("ФИО или наименование организации").fill("Ольга Смирнова")
    page.locator("input[name=accept_offer]").check()
    screenshot(page, "order-form-ru")
    # A double click must still order once.
    page.get_by_role("button", name="Оформить заказ").dblclick()
    page.wait_for_url("**/order/done/**")

    account = BillingAccount.objects.get()
    invoice = Invoice.objects.get()
    text = page.content()
    assert account.number in text and invoice.number in text
    screenshot(page, "order-confirmation-ru")

    page.goto(links.public_url(invoice).replace("http://127.0.0.1:8000", live_server.url))
    assert f"Счёт на оплату № {invoice.number}" in page.content()
    screenshot(page, "invoice-page-ru")
    pdf = page.request.get(
        links.public_pdf_url(invoice).replace("http://127.0.0.1:8000", live_server.url)
    )
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    context.close()
