"""Issue 12, customer items 1-5 and 9, through HTTP: what a new customer (no password yet) can
do from the invoice email, and what the panel says about what is owed.

Each test here failed before the change it names (the page offered only «log in», the bank
link asked for a login, the credited email said nothing of the invoice, and so on)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from hutor.core.money import Money
from hutor.invoices import links
from hutor.invoices.models import InvoiceStatus
from hutor.notifications.actions import deliver_due
from hutor.notifications.models import OutboxEmail
from hutor.payments.models import Payment, PaymentStatus
from hutor.services import actions as service_actions

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


@pytest.fixture
def customer(account_factory, catalog, payment_methods, settings):
    settings.HUTOR_BASE_URL = "http://testserver"
    account = account_factory(email="olga@example.com", name="Ольга Смирнова")
    return account


def order(account, catalog, tariff=None, months=1):
    service = service_actions.place_order(
        billing_account=account,
        price=catalog.price(tariff or catalog.start, months),
        identifier="romashka.ru",
    )
    return service_actions.order_invoice(service)


def path_of(url: str) -> str:
    return url.replace("http://testserver", "")


def test_the_public_page_offers_every_enabled_method_without_a_login(customer, catalog):
    """Item 3: the page once offered only «log in to pay from your balance»."""
    invoice = order(customer, catalog)
    html = Client().get(path_of(links.public_url(invoice))).content.decode()
    assert invoice.number in html
    assert 'name="method" value="demo"' in html and 'name="method" value="bank"' in html
    assert "199,00" in html


def test_a_wrong_signature_is_a_404_and_shows_nothing(customer, catalog):
    invoice = order(customer, catalog)
    token = links.token(invoice)
    client = Client()
    assert client.get(f"/invoice/{token}x/").status_code == 404
    assert client.get(f"/invoice/{invoice.number}:forged/").status_code == 404
    assert client.post(f"/invoice/{token}x/pay/", {"method": "demo"}).status_code == 404
    assert not Payment.objects.exists()


def test_paying_through_the_demo_service_pays_the_invoice_and_mails_it_paid(customer, catalog):
    """Items 3 and 5: from the email's link to a paid invoice and an "invoice paid" email, with
    no login; the payment credited email names the invoice it paid."""
    invoice = order(customer, catalog)
    deliver_due()  # the invoice email the customer follows (sent before it is paid)
    page = path_of(links.public_url(invoice))
    payer = Client()
    response = payer.post(page + "pay/", {"method": "demo"})
    payment = Payment.objects.get()
    assert payment.invoice == invoice and payment.money == Money("199.00")
    assert response.status_code == 302 and "/pay/link/" in response["Location"]
    # Refreshing or pressing again reuses the pending payment: no second payment.
    payer.post(page + "pay/", {"method": "demo"})
    assert Payment.objects.count() == 1
    demo_page = payer.get(response["Location"])["Location"]
    assert demo_page == f"/pay/demo/demo/{payment.number}/"
    back = payer.post(demo_page, {"outcome": "pay"})
    # The payment service sends the payer back: to the invoice's page, not to a login.
    landing = payer.get(back["Location"])
    assert landing.status_code == 302 and landing["Location"] == page
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert "pay/" not in payer.get(page).content.decode().split("invoice-stage")[0]

    assert OutboxEmail.objects.filter(key=f"invoice-paid:{invoice.number}").count() == 1
    deliver_due()
    by_subject = {m.subject: m for m in mail.outbox}
    issued, paid = [m for m in mail.outbox if invoice.number in m.subject]
    assert paid.subject != issued.subject and ("оплачен" in paid.subject or "paid" in paid.subject)
    assert paid.attachments and paid.attachments[0][0] == f"invoice-{invoice.number}.pdf"
    assert paid.attachments[0][1][:4] == b"%PDF"
    credited = next(m for s, m in by_subject.items() if payment.number in s)
    assert invoice.number in credited.body and "romashka.ru" in credited.body


def test_invoice_paid_is_queued_once_by_every_settlement(customer, catalog, top_up):
    """Item 5: settling from the balance (not only a payment) queues the "invoice paid" email."""
    invoice = order(customer, catalog)
    top_up(customer, "199.00")
    top_up(customer, "5.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    emails = OutboxEmail.objects.filter(template="invoice_paid")
    assert [e.key for e in emails] == [f"invoice-paid:{invoice.number}"]


def test_a_bank_transfer_link_opens_its_document_without_a_login(customer, catalog):
    """Item 4: the link of a bank-transfer payment once led to the login page."""
    invoice = order(customer, catalog)
    payer = Client()
    link = payer.post(path_of(links.public_url(invoice)) + "pay/", {"method": "bank"})["Location"]
    response = payer.get(link)
    html = response.content.decode()
    payment = Payment.objects.get()
    assert response.status_code == 200 and payment.number in html
    assert "ST00012" in html or "<img" in html  # the document with its QR code
    pdf_path = re.search(r'href="([^"]+document\.pdf)"', html).group(1)
    pdf = Client().get(pdf_path)  # anyone holding the link, no session
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert Client().get(pdf_path.replace(payment.number, "20009999")).status_code == 404


def test_an_older_invoice_is_named_when_the_amount_covers_it(customer, catalog):
    """Item 2: the button asked for more than the invoice without saying why."""
    older = order(customer, catalog, catalog.pro)  # 499,00
    newer = order(customer, catalog)  # 199,00
    customer.user.set_password(PASSWORD)
    customer.user.save()
    client = Client()
    assert client.login(email=customer.contact_email, password=PASSWORD)
    html = client.get(f"/panel/invoices/{newer.number}/").content.decode()
    assert "698,00" in html
    assert f"{older.number}, {newer.number}" in html
    public = Client().get(path_of(links.public_url(newer))).content.decode()
    assert f"{older.number}, {newer.number}" in public
    # The older invoice alone asks for itself only.
    html = client.get(f"/panel/invoices/{older.number}/").content.decode()
    assert "499,00" in html and newer.number not in html.split("invoice-stage")[0]


def test_home_shows_what_is_owed_and_one_button_pays_it(customer, catalog, top_up):
    """Item 1: the home page did not show what is owed."""
    first = order(customer, catalog, catalog.pro)
    second = order(customer, catalog)
    top_up(customer, "100.00")
    customer.user.set_password(PASSWORD)
    customer.user.save()
    client = Client()
    assert client.login(email=customer.contact_email, password=PASSWORD)
    html = client.get("/panel/").content.decode()
    block = html.split('data-testid="owed"')[1].split("</section>")[0]
    assert re.search(r"<h2[^>]*>\s*2 ", block)  # two unpaid invoices
    assert "698,00" in block and "598,00" in block  # due, and what a top-up must bring
    assert first.number in block and second.number in block
    assert first.due_date.strftime("%d.%m.%Y") in block
    token = re.search(r'name="form_token" value="([^"]+)"', block)
    assert token is not None
    response = client.post(f"/panel/invoices/{second.number}/pay/", {"form_token": token.group(1)})
    assert response.status_code == 302 and "amount=598.00" in response["Location"]
    top_up(customer, "598.00")
    assert 'data-testid="owed"' not in client.get("/panel/").content.decode()


def test_the_invoice_email_has_no_data_image_and_the_pdf_keeps_the_qr(customer, catalog):
    """Item 9: the QR code was a `data:` image, which mail clients block."""
    invoice = order(customer, catalog)
    deliver_due()
    email = next(m for m in mail.outbox if invoice.number in m.subject)
    html = email.alternatives[0][0]
    assert "data:image" not in html
    assert links.public_url(invoice) in html
    assert email.attachments[0][1][:4] == b"%PDF"


def test_a_paid_invoice_page_offers_no_payment(customer, catalog, top_up):
    invoice = order(customer, catalog)
    top_up(customer, "199.00")
    html = Client().get(path_of(links.public_url(invoice))).content.decode()
    assert 'name="method"' not in html
    assert (
        Client().post(path_of(links.public_url(invoice)) + "pay/", {"method": "demo"}).status_code
        == 302
    )
    assert not Payment.objects.filter(status=PaymentStatus.PENDING).exists()
