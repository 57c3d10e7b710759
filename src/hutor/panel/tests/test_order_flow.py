"""Ordering as a new customer would, over HTTP, with the emails read from a real SMTP server."""

from __future__ import annotations

import email
import re
import socket
import threading
from email import policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import Client

from hutor.accounts import numbers
from hutor.accounts.models import BillingAccount
from hutor.invoices.models import Invoice
from hutor.notifications.models import OutboxEmail
from hutor.services.models import Service

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def by_subject(self, fragment: str) -> email.message.EmailMessage:
        found = [m for m in self.messages if fragment in m["Subject"]]
        assert len(found) == 1, [m["Subject"] for m in self.messages]
        return found[0]


@pytest.fixture
def smtp(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()


def order_form(client: Client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    token = re.search(r'name="order_token" value="([0-9a-f-]+)"', page.content.decode())
    assert token, "the order form carries a one-time token"
    return {"order_token": token.group(1)}


def body(message: email.message.EmailMessage, kind: str = "plain") -> str:
    return message.get_body(preferencelist=(kind,)).get_content()


def test_new_customer_orders_gets_account_and_invoice_by_email_sets_password_and_logs_in(
    client, catalog, smtp
):
    url = "/order/hosting/start/"
    data = order_form(client, url) | {
        "price": str(catalog.price(catalog.start, 3).pk),
        "identifier": "romashka.ru",
        "email": "Olga@Example.com",
        "name": "Ольга Смирнова",
        "kind": "individual",
        "accept_offer": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    done = client.get(response["Location"])
    account = BillingAccount.objects.get()
    invoice = Invoice.objects.get()
    page = done.content.decode()
    assert account.number in page and invoice.number in page  # S1, S6
    assert numbers.is_valid(account.number)

    # A resubmitted form (back button, double click) orders nothing more.
    again = client.post(url, data)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert (Service.objects.count(), Invoice.objects.count(), BillingAccount.objects.count()) == (
        1,
        1,
        1,
    )

    call_command("worker", "--once")
    activation = smtp.by_subject("Вам открыт биллинг-аккаунт")  # S2, exactly
    assert activation["Subject"].strip() == "Вам открыт биллинг-аккаунт"  # (header folding aside)
    assert activation["To"] == "olga@example.com"
    text = body(activation)
    assert account.number in text and "olga@example.com" in text and "/panel/" in text
    assert "парол" in text.lower() and "hutor-demo" not in text
    link = re.search(r"https?://\S+/activate/\S+/", text).group(0)

    bill = smtp.by_subject(invoice.number)  # S7
    bill_text = body(bill)
    assert invoice.number in bill_text and "549,00" in bill_text
    assert "romashka.ru" in bill_text
    attachments = [
        (part.get_filename(), part.get_content_type()) for part in bill.iter_attachments()
    ]
    assert attachments == [(f"invoice-{invoice.number}.pdf", "application/pdf")]
    assert invoice.number in body(bill, "html")
    pay_link = re.search(r"https?://\S+/invoice/\S+/", bill_text).group(0)
    pay_page = client.get(urlsplit(pay_link).path)
    assert pay_page.status_code == 200 and invoice.number in pay_page.content.decode()

    # The one-time link: set a password, and be logged in.
    path = urlsplit(link).path
    form = client.get(path, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    home = client.post(
        set_url,
        {"new_password1": "a-Long-pass-2026", "new_password2": "a-Long-pass-2026"},
        follow=True,
    )
    assert home.status_code == 200
    assert account.number in home.content.decode()
    # Single use: the same link no longer works.
    client.logout()
    reused = client.get(path, follow=True)
    assert reused.context["validlink"] is False
    # And the password works for a normal login.
    assert client.login(email="olga@example.com", password="a-Long-pass-2026")


def test_an_email_with_an_account_must_log_in_first_and_nothing_is_created(
    client, catalog, account_factory
):
    account_factory(email="taken@example.com")
    before = (BillingAccount.objects.count(), Service.objects.count(), OutboxEmail.objects.count())
    url = "/order/hosting/start/"
    response = client.post(
        url,
        order_form(client, url)
        | {
            "price": str(catalog.price(catalog.start, 1).pk),
            "identifier": "x.ru",
            "email": "TAKEN@example.com",
            "name": "Someone",
            "kind": "individual",
            "accept_offer": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "An account with this email already exists. Please log in to continue." in page
    assert ">Log in first</a>" in page
    after = (BillingAccount.objects.count(), Service.objects.count(), OutboxEmail.objects.count())
    assert before == after


def test_a_logged_in_customer_orders_into_their_own_account(client, catalog, account_factory):
    from hutor.panel.tests.test_order_new_owner import person_owner

    account = account_factory(password="secret-Pass-1")
    client.login(email=account.contact_email, password="secret-Pass-1")
    url = "/order/domain/rf/"
    response = client.post(
        url,
        order_form(client, url)
        | {
            "price": str(catalog.price(catalog.rf, 12).pk),
            "identifier": "Пример.рф",
            "accept_offer": "on",
            # No contact profile yet: the domain's owner is given with the order.
            **person_owner(**{"owner-phone": "+7 916 765-43-21"}),
        },
    )
    assert response.status_code == 302
    service = Service.objects.get()
    assert service.billing_account == account and service.identifier == "пример.рф"
    assert BillingAccount.objects.count() == 1


VALID = {
    "identifier": "good.ru",
    "email": "new@example.com",
    "name": "Новый Клиент",
    "kind": "individual",
    "accept_offer": "on",
}


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"identifier": "bad domain.ru"}, "identifier"),
        ({"identifier": "пример..рф"}, "identifier"),
        ({"identifier": ""}, "identifier"),
        ({"kind": "company", "inn": "7707083894", "kpp": "773601001", "address": "Москва"}, "inn"),
        ({"kind": "company", "inn": "", "kpp": "", "address": ""}, "inn"),
        ({"kind": "sole_proprietor", "inn": "7707083893"}, "inn"),
        ({"kind": "martian"}, "kind"),
        ({"accept_offer": ""}, "accept_offer"),
        ({"price": "other-tariff"}, "price"),  # a price id of another tariff: tampered
        ({"price": "999999"}, "price"),
        ({"order_token": "not-a-uuid"}, "order_token"),
    ],
)
def test_bad_input_gets_a_message_on_the_form_and_creates_and_mails_nothing(
    client, catalog, changes, field_error
):
    url = "/order/hosting/start/"
    data = order_form(client, url) | VALID | {"price": str(catalog.price(catalog.start, 1).pk)}
    if changes.get("price") == "other-tariff":
        changes = {"price": str(catalog.price(catalog.pro, 1).pk)}
    response = client.post(url, data | changes)
    assert response.status_code == 200
    assert field_error in response.context["form"].errors
    assert not BillingAccount.objects.exists()
    assert not Service.objects.exists() and not Invoice.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_unknown_tariffs_and_types_are_404(client, catalog):
    assert client.get("/order/hosting/nope/").status_code == 404
    assert client.get("/order/nope/start/").status_code == 404
    # A tariff under another service type's address is not found either.
    assert client.get("/order/domain/start/").status_code == 404


def test_a_company_order_keeps_its_requisites_on_the_invoice(client, catalog):
    url = "/order/vps/vps-1/"
    data = order_form(client, url) | {
        "price": str(catalog.price(catalog.vps1, 1).pk),
        "identifier": "vps1.romashka.ru",
        "email": "buh@romashka.ru",
        "name": "ООО «Ромашка»",
        "kind": "company",
        "inn": "7707329152",
        "kpp": "770701001",
        "address": "Москва, ул. Лесная, 1",
        "accept_offer": "on",
    }
    assert client.post(url, data).status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.payer["inn"] == "7707329152" and invoice.payer["kpp"] == "770701001"
    assert invoice.total == 1490


def test_someone_elses_order_confirmation_is_404(client, catalog):
    url = "/order/hosting/start/"
    data = order_form(client, url) | VALID | {"price": str(catalog.price(catalog.start, 1).pk)}
    done = client.post(url, data)["Location"]
    assert Client().get(done).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_get_distinct_account_and_invoice_numbers(catalog, settings):
    from django.db import connection

    settings.HUTOR_ANON_ORDERS_PER_IP_HOUR = 0  # eight new customers from one test address

    price = catalog.price(catalog.start, 1)
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def customer(i: int) -> None:
        try:
            c = Client()
            url = "/order/hosting/start/"
            data = (
                order_form(c, url)
                | VALID
                | {
                    "price": str(price.pk),
                    "email": f"parallel{i}@example.com",
                    "identifier": f"site{i}.ru",
                }
            )
            barrier.wait()
            results.append(c.post(url, data).status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=customer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [302] * 8
    accounts = list(BillingAccount.objects.values_list("number", flat=True))
    invoices = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(accounts)) == 8 and len(set(invoices)) == 8
    assert all(numbers.is_valid(n) for n in accounts)


def test_an_email_already_registered_is_told_in_words_with_a_login_link(
    client, catalog, account_factory
):
    """Issue 12, item 10: the message printed a raw `/login/?next=/order/…` path."""
    account_factory(email="taken@example.com")
    url = "/order/hosting/start/"
    data = order_form(client, url) | {
        "price": str(catalog.price(catalog.start, 3).pk),
        "identifier": "taken.ru",
        "email": "taken@example.com",
        "name": "Ольга Смирнова",
        "kind": "individual",
        "accept_offer": "on",
    }
    page = client.post(url, data).content.decode()
    errors = re.findall(r'<p class="field-error">([^<]*)</p>', page)
    assert errors == [
        "Аккаунт с этим адресом электронной почты уже существует. Войдите, чтобы продолжить."
    ]
    assert page.count('href="/login/?next=/order/hosting/start/"') == 2  # the button, the hint
