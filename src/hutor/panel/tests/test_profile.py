import re

import pytest
from django.core import mail
from django.core.management import call_command

from hutor.accounts.models import AccountKind, BillingAccount
from hutor.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


@pytest.fixture
def customer(client, account_factory):
    account = account_factory(password=PASSWORD, email="old@example.com")
    client.login(email="old@example.com", password=PASSWORD)
    return account


def test_details_and_language_are_saved(client, customer):
    response = client.post(
        "/panel/profile/",
        {
            "name": "Иван Иванов",
            "phone": "+7 900",
            "address": "Тверь",
            "inn": "",
            "kpp": "",
            "language": "en",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.language, customer.address) == ("Иван Иванов", "en", "Тверь")


def test_a_bad_inn_is_refused_and_nothing_changes(client, customer):
    response = client.post(
        "/panel/profile/", {"name": "X", "inn": "123456789012", "kpp": "", "language": "ru"}
    )
    assert response.status_code == 200 and "inn" in response.context["form"].errors
    customer.refresh_from_db()
    assert customer.name != "X" and customer.inn == ""


def test_a_company_keeps_its_kpp_rules(client, account_factory):
    company = account_factory(
        password=PASSWORD,
        kind=AccountKind.COMPANY,
        inn="7707083893",
        kpp="773601001",
        address="Москва",
    )
    client.login(email=company.contact_email, password=PASSWORD)
    response = client.post(
        "/panel/profile/",
        {
            "name": "ООО Ромашка",
            "inn": "7707083893",
            "kpp": "",
            "address": "Москва",
            "language": "ru",
        },
    )
    assert "kpp" in response.context["form"].errors


def test_email_change_is_confirmed_through_the_new_address(client, customer):
    client.post("/panel/profile/email/", {"email": "New@Example.com"})
    customer.refresh_from_db()
    assert customer.contact_email == "old@example.com"  # nothing changes yet
    call_command("worker", "--once")
    [message] = [m for m in mail.outbox if m.to == ["new@example.com"]]
    assert customer.number in message.subject
    link = re.search(r"https?://\S+(/panel/profile/email/\S+/)", message.body).group(1)
    assert client.get(link).status_code == 302
    customer.refresh_from_db()
    assert customer.contact_email == "new@example.com" and customer.user.email == "new@example.com"
    assert client.get(link).status_code == 404  # used: bound to the old address
    client.logout()
    assert client.login(email="new@example.com", password=PASSWORD)


def test_an_email_of_another_account_is_refused(client, customer, account_factory):
    account_factory(email="taken@example.com")
    client.post("/panel/profile/email/", {"email": "taken@example.com"})
    assert not OutboxEmail.objects.filter(template="email_change").exists()
    assert BillingAccount.objects.get(pk=customer.pk).contact_email == "old@example.com"


def test_email_change_requests_are_limited_per_client_address(client, customer, settings):
    """Issue 11, finding 11: a logged-in customer cannot make Hutor mail arbitrary addresses
    without end through the email change form."""
    settings.HUTOR_EMAIL_CHANGES_PER_IP_HOUR = 3
    for i in range(5):
        response = client.post(
            "/panel/profile/email/", {"email": f"n{i}@example.com"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 302
    assert OutboxEmail.objects.filter(template="email_change").count() == 3
    page = client.get("/panel/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too many email change requests" in page


def test_email_change_requests_are_limited_globally(client, customer, settings):
    settings.HUTOR_EMAIL_CHANGES_PER_IP_HOUR = 100
    settings.HUTOR_EMAIL_CHANGES_PER_HOUR = 2
    for i in range(4):
        client.post(
            "/panel/profile/email/", {"email": f"g{i}@example.com"}, REMOTE_ADDR=f"192.0.2.{i}"
        )
    assert OutboxEmail.objects.filter(template="email_change").count() == 2
