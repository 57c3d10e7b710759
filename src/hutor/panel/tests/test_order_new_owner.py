"""A new customer orders a domain (issue 14): the order form, which has no contact profile to
offer them, asks the domain owner's details itself, by the contact profile form's fields and
the domains app's rules; a company's requisites are the order's own, and the owner's name,
email and phone left empty are the order's. Placing the order opens the billing account, makes
its first contact profile and the services in one transaction; invalid owner details are said
on the form and nothing is created. Over HTTP, the registrar a module answering as a registry
would (test_order_domain's)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from hutor.accounts.models import BillingAccount
from hutor.domains.models import ContactKind, ContactProfile, DomainDetails, plain
from hutor.domains.tests.data import COMPANY_INN, COMPANY_KPP, COMPANY_OGRN
from hutor.invoices.models import Invoice
from hutor.panel.tests.test_order_domain import registry  # noqa: F401 (a fixture)
from hutor.panel.tests.test_order_flow import order_form
from hutor.services.models import Service
from hutor.services.provisioning import context_for

pytestmark = pytest.mark.django_db

HOSTING = "/order/hosting/start/"
DOMAIN = "/order/domain/ru/"


def person_owner(**more: str) -> dict[str, str]:
    """What a person types in the owner's section (name, email, phone left to the order's)."""
    return {
        "owner-name_latin": "Olga S Smirnova",
        "owner-birth_date": "1985-03-14",
        "owner-passport_number": "4510 123456",
        "owner-passport_issued_by": "ОВД «Тверской» г. Москвы",
        "owner-passport_issued_on": "2010-02-01",
        "owner-country": "RU",
        "owner-postcode": "101000",
        "owner-region": "Москва",
        "owner-city": "Москва",
        "owner-street": "ул. Мясницкая, д. 1, кв. 2",
        **more,
    }


def new_person(client: Client, url: str, catalog, **more: str) -> dict[str, str]:
    price = catalog.price(catalog.start, 1) if url == HOSTING else catalog.price(catalog.ru, 12)
    return order_form(client, url) | {
        "price": str(price.pk),
        "identifier": "romashka.ru",
        "email": "olga@example.com",
        "name": "Смирнова Ольга Сергеевна",
        "kind": "individual",
        "phone": "8 916 123-45-67",
        "accept_offer": "on",
        **more,
    }


def nothing_created() -> bool:
    return not (
        BillingAccount.objects.exists()
        or get_user_model().objects.exists()
        or ContactProfile.objects.exists()
        or Service.objects.exists()
        or Invoice.objects.exists()
    )


def test_a_new_person_orders_a_hosting_and_its_domain_with_its_owner(client, catalog, registry):  # noqa: F811
    form = client.get(HOSTING).content.decode()
    assert 'data-testid="register-domain"' in form and 'data-testid="new-domain-owner"' in form
    assert 'name="owner-passport_number"' in form and 'name="owner-kind"' not in form
    assert 'name="contact_profile"' not in form and "Контактные профили" not in form
    data = new_person(client, HOSTING, catalog, register_domain="on") | person_owner()
    response = client.post(HOSTING, data)
    assert response.status_code == 302, response.content.decode()

    account = BillingAccount.objects.get()
    profile = ContactProfile.objects.get()
    assert profile.billing_account == account and profile.kind == ContactKind.PERSON
    # The owner's name, email and phone are the order's; the label is the name.
    assert profile.name == profile.label == "Смирнова Ольга Сергеевна"
    assert (profile.email, profile.phone) == ("olga@example.com", "+79161234567")
    assert plain(profile.passport_number) == "4510 123456"  # normalized by the domains app's rules
    invoice = Invoice.objects.get()
    hosting, domain = (line.service for line in invoice.lines.order_by("position"))
    assert (hosting.tariff, domain.tariff) == (catalog.start, catalog.ru)
    assert domain.domain_details.contact_profile == profile
    registrant = context_for(domain).registrant
    assert registrant is not None and registrant.name_latin == "Olga S Smirnova"
    assert registrant.passport.startswith("4510 123456, выдан ОВД")


def test_a_new_company_orders_a_domain_its_requisites_asked_once(client, catalog, registry):  # noqa: F811
    form = client.get(DOMAIN).content.decode()
    assert 'data-testid="new-domain-owner"' in form and 'name="owner-org_latin"' in form
    assert 'name="owner-org"' not in form and 'name="owner-inn"' not in form
    data = new_person(
        client,
        DOMAIN,
        catalog,
        kind="company",
        name="ООО «Ромашка»",
        inn=COMPANY_INN,
        kpp=COMPANY_KPP,
        address="117312, г. Москва, ул. Вавилова, д. 19",
        phone="",
    ) | person_owner(
        # A person's fields sent too (a page without :has() shows both): not a company's.
        **{
            "owner-org_latin": "Romashka LLC",
            "owner-ogrn": COMPANY_OGRN,
            "owner-email": "domains@romashka.ru",
            "owner-phone": "+7 495 500-55-50",
            "owner-passport_number": "12",
        }
    )
    response = client.post(DOMAIN, data)
    assert response.status_code == 302, response.content.decode()
    profile = ContactProfile.objects.get()
    assert profile.kind == ContactKind.COMPANY and profile.label == "ООО «Ромашка»"
    assert (profile.org, profile.org_latin) == ("ООО «Ромашка»", "Romashka LLC")
    assert (profile.inn, profile.kpp, profile.ogrn) == (COMPANY_INN, COMPANY_KPP, COMPANY_OGRN)
    assert profile.legal_address == "117312, г. Москва, ул. Вавилова, д. 19"
    assert (profile.email, profile.phone) == ("domains@romashka.ru", "+74955005550")
    assert not profile.has_passport and profile.birth_date is None
    domain = Service.objects.get()
    assert domain.tariff == catalog.ru and domain.domain_details.contact_profile == profile
    assert BillingAccount.objects.get().contact_email == "olga@example.com"


@pytest.mark.parametrize(
    ("language", "passport", "birth_date"),
    [
        ("ru", "Серия и номер российского паспорта — 10 цифр", "не младше 18 лет"),
        ("en", "series and number are 10 digits", "at least 18 years old"),
    ],
)
def test_an_invalid_passport_and_birth_date_are_said_and_nothing_is_created(
    client,
    catalog,
    registry,  # noqa: F811
    language,
    passport,
    birth_date,
):
    data = new_person(client, HOSTING, catalog, register_domain="on") | person_owner(
        **{"owner-passport_number": "4510 12345", "owner-birth_date": "2015-01-01"}
    )
    response = client.post(HOSTING, data, headers={"accept-language": language})
    page = response.content.decode()
    assert response.status_code == 200
    assert passport in page and birth_date in page
    assert 'id="id_owner-passport_number_error"' in page
    assert 'id="id_owner-birth_date_error"' in page
    assert 'value="olga@example.com"' in page and 'value="Olga S Smirnova"' in page  # kept
    assert nothing_created()


def test_a_missing_owner_detail_is_said_on_its_field_and_nothing_is_created(
    client,
    catalog,
    registry,  # noqa: F811
):
    data = new_person(client, DOMAIN, catalog, phone="") | person_owner(
        **{"owner-name_latin": "Ольга", "owner-street": ""}
    )
    page = client.post(DOMAIN, data).content.decode()
    assert "Только латинские буквы" in page  # the Latin name
    assert "Укажите улицу, дом и квартиру или офис." in page
    assert "Укажите номер телефона." in page  # neither the owner's nor the order's phone
    assert nothing_created()


def test_an_order_without_a_domain_registration_asks_no_owner(client, catalog, registry):  # noqa: F811
    # The box unchecked: the owner's section (hidden by the stylesheet) is not read at all.
    data = new_person(client, HOSTING, catalog) | {"owner-passport_number": "1"}
    assert client.post(HOSTING, data).status_code == 302
    assert Service.objects.get().tariff == catalog.start
    assert not ContactProfile.objects.exists() and not DomainDetails.objects.exists()


def test_a_transfer_in_of_a_new_customer_needs_no_owner(client, catalog, registry):  # noqa: F811
    form = client.get(DOMAIN).content.decode()
    assert "Для переноса с кодом не нужно" in form
    data = new_person(client, DOMAIN, catalog, identifier="taken.ru", auth_code="Xy-12345")
    assert client.post(DOMAIN, data).status_code == 302
    details = DomainDetails.objects.get()
    assert details.contact_profile is None and details.service.identifier == "taken.ru"
    assert context_for(details.service).auth_code == "Xy-12345"
    assert not ContactProfile.objects.exists()


def test_a_taken_domain_keeps_the_owner_s_details_on_the_form_and_creates_nothing(
    client,
    catalog,
    registry,  # noqa: F811
):
    data = new_person(client, HOSTING, catalog, identifier="taken.ru", register_domain="on")
    response = client.post(HOSTING, data | person_owner())
    page = response.content.decode()
    assert response.status_code == 200 and "Домен taken.ru уже зарегистрирован" in page
    assert 'value="Olga S Smirnova"' in page and 'value="4510 123456"' in page
    assert nothing_created()


def test_a_customer_without_a_contact_profile_gives_the_owner_on_the_order(
    catalog,
    registry,  # noqa: F811
    account_factory,
):
    """A logged-in customer who has no contact profile yet is asked the owner's details like a
    new customer (the name, email and phone from the billing account), not sent away to make a
    profile first; the order makes the account's first profile."""
    account = account_factory(email="ivan@example.com")
    client = Client()
    client.force_login(account.user)
    form = client.get(DOMAIN).content.decode()
    assert 'data-testid="new-domain-owner"' in form and 'name="contact_profile"' not in form
    data = order_form(client, DOMAIN) | {
        "price": str(catalog.price(catalog.ru, 12).pk),
        "identifier": "romashka.ru",
        "accept_offer": "on",
        **person_owner(**{"owner-phone": "+7 916 765-43-21"}),
    }
    response = client.post(DOMAIN, data)
    assert response.status_code == 302, response.content.decode()
    profile = ContactProfile.objects.get()
    assert profile.billing_account == account and profile.email == "ivan@example.com"
    domain = Service.objects.get()
    assert DomainDetails.objects.get(service=domain).contact_profile == profile
