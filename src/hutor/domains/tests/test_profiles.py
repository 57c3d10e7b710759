"""Contact profiles through their actions: validation before anything is written, the passport
encrypted at rest, deletion only when no live domain uses the profile, and what a registrar
module receives (to_registrant, the provisioning context)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from hutor.domains import actions
from hutor.domains.exceptions import ContactProfileInUse
from hutor.domains.models import ContactProfile, DomainDetails
from hutor.domains.tests.data import COMPANY_INN, PERSON_INN, company, person
from hutor.services import actions as service_actions
from hutor.services.models import ServiceStatus
from hutor.services.provisioning import context_for
from hutor.services.provisioning.registrar import Registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(account_factory):
    return account_factory(notify=False)


def errors_of(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return caught.value.message_dict


def test_a_person_is_saved_in_its_stored_form(account):
    profile = actions.create_contact_profile(billing_account=account, **person(inn=PERSON_INN))
    profile.refresh_from_db()
    assert profile.phone == "+79161234567" and profile.email == "ivan@example.com"
    assert profile.passport_number.reveal() == "4510 123456"
    assert profile.passport_issued_on_date() == dt.date(2010, 2, 1)
    assert profile.inn == PERSON_INN and profile.org == ""


def test_the_passport_is_encrypted_at_rest(account):
    profile = actions.create_contact_profile(billing_account=account, **person())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT passport_number, passport_issued_by, passport_issued_on "
            "FROM domains_contactprofile WHERE id = %s",
            [profile.pk],
        )
        stored = cursor.fetchone()
    for column in stored:
        assert column and "4510" not in column and "ОВД" not in column and "2010" not in column
    assert "4510" not in repr(ContactProfile.objects.get(pk=profile.pk).passport_number)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"inn": "500100732258"}, "inn", "inn_checksum"),
        ({"inn": "7707083893"}, "inn", "inn_length"),
        ({"name_latin": "Иван Иванов"}, "name_latin", "latin"),
        ({"birth_date": dt.date(2015, 1, 1)}, "birth_date", "birth_date_minor"),
        ({"birth_date": dt.date(2099, 1, 1)}, "birth_date", "birth_date"),
        ({"passport_number": ""}, "passport_number", "passport_required"),
        ({"passport_number": "4510 12"}, "passport_number", "passport"),
        ({"phone": "916 123"}, "phone", "phone"),
        ({"email": "ivan@"}, "email", "email"),
        ({"country": "XX"}, "country", "country"),
        ({"postcode": "1010"}, "postcode", "postcode"),
    ],
)
def test_a_bad_person_is_refused_with_the_field_named_and_nothing_saved(
    account, overrides, field, code
):
    with pytest.raises(ValidationError) as caught:
        actions.create_contact_profile(billing_account=account, **person(**overrides))
    assert field in errors_of(caught)
    assert caught.value.error_dict[field][0].code == code
    assert not ContactProfile.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"inn": "7707083894"}, "inn"),
        ({"inn": PERSON_INN}, "inn"),
        ({"inn": ""}, "inn"),
        ({"kpp": "77360100"}, "kpp"),
        ({"ogrn": "1027700132196"}, "ogrn"),
        ({"org_latin": "Ромашка"}, "org_latin"),
        ({"legal_address": ""}, "legal_address"),
    ],
)
def test_a_bad_company_is_refused(account, overrides, field):
    with pytest.raises(ValidationError) as caught:
        actions.create_contact_profile(billing_account=account, **company(**overrides))
    assert field in errors_of(caught)
    assert not ContactProfile.objects.exists()


def test_a_foreign_person_needs_no_passport_and_a_foreign_company_no_inn(account):
    foreigner = actions.create_contact_profile(
        billing_account=account,
        **person(
            label="Berlin",
            country="de",
            postcode="10115",
            passport_number="",
            passport_issued_by="",
            passport_issued_on=None,
            phone="+49 30 1234567",
        ),
    )
    assert foreigner.country == "DE" and not foreigner.has_passport
    gmbh = actions.create_contact_profile(
        billing_account=account,
        **company(label="GmbH", country="DE", postcode="10115", inn="", kpp="", ogrn=""),
    )
    assert gmbh.inn == ""


def test_one_label_per_account(account, account_factory):
    actions.create_contact_profile(billing_account=account, **person())
    with pytest.raises(ValidationError) as caught:
        actions.create_contact_profile(billing_account=account, **company(label="личный"))
    assert "label" in errors_of(caught)
    other = account_factory(notify=False)
    actions.create_contact_profile(billing_account=other, **person())  # another account's own


@time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC))
def test_an_18th_birthday_is_the_first_day_a_person_may_register(account):
    actions.create_contact_profile(
        billing_account=account,
        **person(birth_date=dt.date(2008, 11, 30), passport_issued_on=dt.date(2022, 12, 1)),
    )
    with pytest.raises(ValidationError):
        actions.create_contact_profile(
            billing_account=account,
            **person(
                label="Младший",
                birth_date=dt.date(2008, 12, 1),
                passport_issued_on=dt.date(2022, 12, 2),
            ),
        )


def test_an_update_keeps_the_passport_when_its_fields_are_left_empty(account):
    profile = actions.create_contact_profile(billing_account=account, **person())
    updated = actions.update_contact_profile(
        profile=profile,
        **person(
            street="ул. Ильинка, д. 4",
            passport_number="",
            passport_issued_by="",
            passport_issued_on=None,
        ),
    )
    updated.refresh_from_db()
    assert updated.street == "ул. Ильинка, д. 4"
    assert updated.passport_number.reveal() == "4510 123456"


def test_a_bad_update_writes_nothing(account):
    profile = actions.create_contact_profile(billing_account=account, **company())
    with pytest.raises(ValidationError):
        actions.update_contact_profile(profile=profile, **company(inn="7707083890", city="Тверь"))
    profile.refresh_from_db()
    assert profile.inn == COMPANY_INN and profile.city == "Москва"


@pytest.fixture
def domain(account, catalog):
    service = service_actions.place_order(
        billing_account=account, price=catalog.price(catalog.ru, 12), identifier="romashka.ru"
    )
    service.refresh_from_db()
    return service


def test_the_context_provider_gives_a_registrar_its_registrant(account, domain):
    profile = actions.create_contact_profile(billing_account=account, **person(inn=PERSON_INN))
    actions.set_domain_details(
        service=domain,
        contact_profile=profile,
        nameservers=["NS1.Example.net.", "ns2.example.net", "ns1.example.net"],
        auth_code="Tr4nsfer!",
    )
    ctx = context_for(domain)
    assert ctx.registrant == Registrant(
        kind="person",
        email="ivan@example.com",
        phone="+7.9161234567",
        country="RU",
        city="Москва",
        postcode="101000",
        street="ул. Мясницкая, д. 1, кв. 2",
        region="Москва",
        name="Иванов Иван Иванович",
        name_latin="Ivan I Ivanov",
        birth_date=dt.date(1980, 5, 17),
        passport="4510 123456, выдан ОВД «Тверской» г. Москвы, 01.02.2010",
        inn=PERSON_INN,
    )
    assert ctx.nameservers == ("ns1.example.net", "ns2.example.net")
    assert ctx.auth_code == "Tr4nsfer!"
    assert "4510" not in repr(ctx.registrant) and "Tr4nsfer" not in repr(ctx)

    actions.record_registry_state(
        service=domain,
        registrant_handle="HUTOR-C1",
        expires_on=dt.date(2027, 11, 30),
        statuses=["ok"],
        locked=True,
    )
    ctx = context_for(domain)
    assert ctx.registrant.handle == "HUTOR-C1"
    details = DomainDetails.objects.get(service=domain)
    assert details.registry_expires_on == dt.date(2027, 11, 30) and details.locked
    assert details.registry_statuses == ["ok"] and details.synced_at is not None


def test_a_company_registrant(account, domain):
    profile = actions.create_contact_profile(billing_account=account, **company())
    registrant = actions.to_registrant(profile, handle="H1")
    assert registrant.is_company and registrant.org_latin == "Romashka LLC"
    assert (registrant.inn, registrant.kpp, registrant.phone) == (
        COMPANY_INN,
        "773601001",
        "+7.4955005550",
    )
    assert registrant.passport == "" and registrant.handle == "H1"
    assert registrant.postal_address == "117312, Москва, Москва, ул. Вавилова, д. 19"


def test_a_service_without_domain_details_adds_nothing(domain, catalog):
    ctx = context_for(domain)
    assert ctx.registrant is None and ctx.nameservers == () and ctx.auth_code == ""


def test_a_profile_of_another_account_is_refused_for_a_domain(account_factory, domain):
    stranger = account_factory(notify=False)
    profile = actions.create_contact_profile(billing_account=stranger, **person())
    with pytest.raises(ValidationError):
        actions.set_domain_details(service=domain, contact_profile=profile)
    assert not DomainDetails.objects.exists()


def test_a_profile_a_live_domain_uses_cannot_be_deleted(account, domain):
    profile = actions.create_contact_profile(billing_account=account, **person())
    actions.set_domain_details(service=domain, contact_profile=profile)
    with pytest.raises(ContactProfileInUse, match=r"romashka\.ru"):
        actions.delete_contact_profile(profile=profile)
    assert ContactProfile.objects.filter(pk=profile.pk).exists()
    service_actions.cancel_order(service=domain)
    domain.refresh_from_db()
    assert domain.status == ServiceStatus.CANCELLED
    actions.delete_contact_profile(profile=profile)
    assert not ContactProfile.objects.exists()
    assert DomainDetails.objects.get(service=domain).contact_profile is None
