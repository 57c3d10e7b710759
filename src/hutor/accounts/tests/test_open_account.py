import pytest
from django.core.exceptions import ValidationError

from hutor.accounts import numbers
from hutor.accounts.actions import open_billing_account
from hutor.accounts.exceptions import EmailAlreadyRegistered
from hutor.accounts.models import AccountKind, BillingAccount

pytestmark = pytest.mark.django_db


def test_opening_accounts_gives_sequential_valid_numbers_and_logins():
    first = open_billing_account(email="Ivan@Example.com", name="Иван Петров")
    second = open_billing_account(email="olga@example.com", name="Ольга")
    assert first.number == "1000002"
    assert second.number == "1000015"
    assert numbers.is_valid(first.number) and numbers.is_valid(second.number)
    assert first.contact_email == "ivan@example.com"
    assert first.user.email == "ivan@example.com"
    assert not first.user.has_usable_password()  # set later through the activation link
    assert first.currency == "RUB" and first.language == "ru"


def test_one_email_one_account():
    open_billing_account(email="a@example.com", name="A")
    with pytest.raises(EmailAlreadyRegistered):
        open_billing_account(email="A@EXAMPLE.COM", name="A again")
    assert BillingAccount.objects.count() == 1


def test_a_company_needs_a_valid_inn_kpp_and_address_and_nothing_is_written_otherwise():
    with pytest.raises(ValidationError) as error:
        open_billing_account(
            email="corp@example.com", name="ООО Ромашка", kind=AccountKind.COMPANY, inn="7707083894"
        )
    assert set(error.value.message_dict) == {"inn", "kpp", "address"}
    assert BillingAccount.objects.count() == 0
    account = open_billing_account(
        email="corp@example.com",
        name="ООО Ромашка",
        kind=AccountKind.COMPANY,
        inn="7707083893",
        kpp="773601001",
        address="Москва, ул. Вавилова, 19",
    )
    assert account.inn == "7707083893"


def test_a_failed_opening_does_not_burn_a_number():
    open_billing_account(email="a@example.com", name="A")
    with pytest.raises(EmailAlreadyRegistered):
        open_billing_account(email="a@example.com", name="A")
    assert open_billing_account(email="b@example.com", name="B").number == "1000015"
