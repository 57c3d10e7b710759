"""Every customer URL with another customer's objects is a 404 (or a redirect to login)."""

import pytest
from django.urls import get_resolver

from hutor.accounts.emails import email_change_token
from hutor.api.tokens import create_customer_token
from hutor.core.money import Money
from hutor.domains.actions import create_contact_profile
from hutor.domains.models import ContactProfile
from hutor.domains.tests.data import person
from hutor.invoices.models import Invoice
from hutor.payments.actions import start_top_up
from hutor.services.actions import place_order
from hutor.support.actions import open_ticket
from hutor.support.files import Incoming
from hutor.support.models import Ticket
from hutor.support.tests.data import department

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


@pytest.fixture
def victim(account_factory, catalog, payment_methods):
    account = account_factory(password=PASSWORD)
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="victim.ru"
    )
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("500")
    )
    invoice = Invoice.objects.get(billing_account=account)
    token = email_change_token(account, "new@example.com")
    bank = start_top_up(billing_account=account, method=payment_methods.bank, amount=Money("500"))
    contact = create_contact_profile(billing_account=account, **person())
    api_token = create_customer_token(account=account, name="victim's script").token
    ticket = open_ticket(
        subject="Help",
        text="My site",
        department=department(),
        billing_account=account,
        attachments=[Incoming(name="a.txt", content=b"private")],
    )
    return {
        "api_token": api_token.pk,
        "ticket": ticket.number,
        "file": ticket.messages.get().attachments.get().pk,
        "contact": contact.pk,
        "pk": service.pk,
        "number": invoice.number,
        "payment": payment.number,
        "bank": bank.number,
        "token": token,
    }


def object_urls(victim):
    """Every panel URL that names an object, filled with the victim's objects."""
    return {
        "/panel/services/{pk}/": "GET",
        "/panel/services/{pk}/renew/": "GET",
        "/panel/services/{pk}/renew/#post": "POST",
        "/panel/services/{pk}/tariff/": "GET",
        "/panel/services/{pk}/tariff/#post": "POST",
        "/panel/services/{pk}/auto-renew/": "POST",
        "/panel/services/{pk}/cancel/": "POST",
        "/panel/services/{pk}/cancel-service/": "GET",
        "/panel/services/{pk}/cancel-service/#post": "POST",
        "/panel/services/{pk}/password/": "POST",
        "/panel/services/{pk}/log-in/": "POST",
        "/panel/services/{pk}/certificate/key.pem": "GET",
        "/panel/services/{pk}/certificate/check/": "POST",
        "/panel/services/{pk}/domain/sync/": "POST",
        "/panel/services/{pk}/domain/nameservers/": "POST",
        "/panel/services/{pk}/domain/transfer-code/": "POST",
        "/panel/services/{pk}/domain/lock/": "POST",
        "/panel/invoices/{number}/": "GET",
        "/panel/invoices/{number}/pdf/": "GET",
        "/panel/invoices/{number}/pay/": "POST",
        "/panel/payments/{payment}/": "GET",
        "/panel/payments/{payment}/pay/": "POST",
        "/panel/payments/{bank}/document/": "GET",
        "/panel/payments/{bank}/document.pdf": "GET",
        "/panel/profile/email/{token}/": "GET",
        "/panel/contacts/{contact}/": "GET",
        "/panel/contacts/{contact}/#post": "POST",
        "/panel/contacts/{contact}/delete/": "GET",
        "/panel/contacts/{contact}/delete/#post": "POST",
        "/panel/api-tokens/{api_token}/revoke/": "POST",
        "/panel/support/{ticket}/": "GET",
        "/panel/support/{ticket}/#post": "POST",
        "/panel/support/{ticket}/close/": "POST",
        "/panel/support/{ticket}/files/{file}/": "GET",
    }


def test_the_list_covers_every_panel_url_with_an_object():
    patterns = [
        str(p.pattern)
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        if "panel/" in str(p.pattern) and "<" in str(p.pattern)
    ]
    # The 28 object routes tested below, and those another test proves with objects of their
    # own that this victim cannot have (a company's closing documents and advance
    # invoices-factura).
    elsewhere = {
        "panel/balance/documents/<int:pk>/<str:form>.pdf": (
            "documents/tests/test_closing_pages.py::test_the_customer_lists_and_downloads_their_acts"
        ),
        "panel/balance/documents/<int:pk>.xml": (
            "documents/tests/test_upd_xml.py::"
            "test_the_customer_downloads_the_xml_beside_the_pdf_and_nobody_else_does"
        ),
        "panel/balance/documents/advance/<int:pk>.xml": (
            "documents/tests/test_upd_xml.py::test_the_advance_invoice_factura_as_xml"
        ),
        "panel/balance/documents/advance/<int:pk>.pdf": (
            "documents/tests/test_advances.py::test_the_customer_and_the_desk_see_them"
        ),
    }
    assert set(elsewhere) <= set(patterns)
    assert len(patterns) == 28 + len(elsewhere), patterns


def test_another_customers_objects_are_404_everywhere(client, account_factory, victim):
    intruder = account_factory(password=PASSWORD)
    client.login(email=intruder.contact_email, password=PASSWORD)
    for template, method in object_urls(victim).items():
        url = template.split("#")[0].format(**victim)
        response = (
            client.post(url, {"price": 1, "tariff": 1, "text": "x", "amount": "0.00"})
            if method == "POST"
            else client.get(url)
        )
        assert response.status_code == 404, (method, url, response.status_code)
    assert Invoice.objects.filter(billing_account=intruder).count() == 0
    # And the victim's objects are untouched.
    assert Invoice.objects.get(number=victim["number"]).status == "unpaid"
    assert ContactProfile.objects.filter(pk=victim["contact"]).exists()
    ticket = Ticket.objects.get(number=victim["ticket"])
    assert ticket.status == "new" and ticket.messages.count() == 1
    intruder.refresh_from_db()
    assert intruder.contact_email != "new@example.com"


def test_anonymous_visitors_are_sent_to_login(client, victim):
    for template, method in object_urls(victim).items():
        url = template.split("#")[0].format(**victim)
        response = client.post(url) if method == "POST" else client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url in [
        "/panel/",
        "/panel/services/",
        "/panel/invoices/",
        "/panel/payments/",
        "/panel/balance/",
        "/panel/balance.csv",
        "/panel/balance.xlsx",
        "/panel/top-up/",
        "/panel/contacts/",
        "/panel/contacts/new/",
        "/panel/support/",
        "/panel/support/new/",
    ]:
        assert "/login/" in client.get(url)["Location"]
