"""The contact profile pages of the panel over HTTP, in Russian and English: list, create,
edit, delete; bad input gets a message on its field and saves nothing; another account's
profile is a 404."""

from __future__ import annotations

import pytest

from hutor.domains import actions
from hutor.domains.models import ContactProfile
from hutor.domains.tests.data import COMPANY_INN, company, person
from hutor.services.actions import place_order

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


@pytest.fixture
def customer(client, account_factory):
    account = account_factory(password=PASSWORD, notify=False)
    client.login(email=account.contact_email, password=PASSWORD)
    return account


def form(data: dict) -> dict:
    """A profile as the page's form posts it (dates as the date input sends them; a person's
    INN in its own field)."""
    posted = {
        k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in data.items()
    }
    if data.get("kind") == "person":
        posted["inn_person"] = posted.pop("inn", "")
    return posted


def page(client, url, language="ru", **kwargs):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language, **kwargs)


@pytest.mark.parametrize(
    ("language", "title", "empty", "menu"),
    [
        ("ru", "Профили контактов", "Профилей контактов пока нет", "Контакты"),
        ("en", "Contact profiles", "no contact profiles yet", "Contact profiles"),
    ],
)
def test_the_list_and_the_menu_link_in_both_languages(
    client, customer, language, title, empty, menu
):
    response = page(client, "/panel/contacts/", language)
    text = response.content.decode()
    assert response.status_code == 200 and title in text and empty in text
    home = page(client, "/panel/", language).content.decode()
    assert '<a href="/panel/contacts/">' in home and f"<span>{menu}</span>" in home


def test_a_person_is_created_and_listed(client, customer):
    response = client.post("/panel/contacts/new/", form(person()))
    assert response.status_code == 302 and response["Location"] == "/panel/contacts/"
    profile = ContactProfile.objects.get(billing_account=customer)
    assert profile.passport_number.reveal() == "4510 123456"
    listing = page(client, "/panel/contacts/").content.decode()
    assert "Личный" in listing and "Иванов Иван Иванович" in listing and "+79161234567" in listing
    assert "4510" not in listing


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Контрольное число ИНН не сходится"),
        ("en", "This INN fails its checksum"),
    ],
)
def test_a_bad_inn_is_shown_on_its_field_and_nothing_is_saved(client, customer, language, message):
    response = client.post(
        "/panel/contacts/new/", form(company(inn="7707083894")), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "inn" in response.context["form"].errors
    assert not ContactProfile.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "language", "message"),
    [
        ({"birth_date": "2015-01-01"}, "birth_date", "ru", "не младше 18 лет"),
        ({"birth_date": "2015-01-01"}, "birth_date", "en", "at least 18 years old"),
        ({"passport_number": ""}, "passport_number", "ru", "паспорт обязателен"),
        ({"passport_number": ""}, "passport_number", "en", "passport is required"),
        ({"name_latin": "Иван"}, "name_latin", "ru", "Только латинские буквы"),
        ({"name_latin": "Иван"}, "name_latin", "en", "Use Latin letters only"),
        ({"phone": "12"}, "phone", "en", "with its country code"),
        ({"email": "ivan@"}, "email", "en", "Enter a valid email address"),
        ({"country": "ZZ"}, "country", "en", "two-letter country code"),
        ({"inn": "500100732258"}, "inn_person", "en", "fails its checksum"),
        ({"birth_date": "not a date"}, "birth_date", "en", "Enter a valid date"),
    ],
)
def test_bad_person_input(client, customer, overrides, field, language, message):
    data = form(person())
    data.update({("inn_person" if k == "inn" else k): v for k, v in overrides.items()})
    response = client.post("/panel/contacts/new/", data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert not ContactProfile.objects.exists()


def test_edit_keeps_the_passport_and_changes_the_rest(client, customer):
    profile = actions.create_contact_profile(billing_account=customer, **person())
    shown = page(client, f"/panel/contacts/{profile.pk}/").content.decode()
    assert "4510" not in shown and 'data-testid="passport-on-file"' in shown
    data = form(person(city="Тверь", postcode="170000"))
    data.update(passport_number="", passport_issued_by="", passport_issued_on="")
    response = client.post(f"/panel/contacts/{profile.pk}/", data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.city == "Тверь" and profile.passport_number.reveal() == "4510 123456"


def test_a_bad_edit_changes_nothing(client, customer):
    profile = actions.create_contact_profile(billing_account=customer, **company())
    response = client.post(
        f"/panel/contacts/{profile.pk}/",
        form(company(kpp="123", city="Тверь")),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and "A KPP has 9 characters" in response.content.decode()
    profile.refresh_from_db()
    assert profile.city == "Москва" and profile.inn == COMPANY_INN


def test_delete_asks_then_deletes(client, customer):
    profile = actions.create_contact_profile(billing_account=customer, **company())
    confirm = page(client, f"/panel/contacts/{profile.pk}/delete/", "en").content.decode()
    assert "Delete the profile" in confirm
    assert client.post(f"/panel/contacts/{profile.pk}/delete/").status_code == 302
    assert not ContactProfile.objects.exists()


def test_a_profile_a_live_domain_uses_is_kept(client, customer, catalog):
    profile = actions.create_contact_profile(billing_account=customer, **company())
    domain = place_order(
        billing_account=customer, price=catalog.price(catalog.ru, 12), identifier="romashka.ru"
    )
    actions.set_domain_details(service=domain, contact_profile=profile)
    confirm = page(client, f"/panel/contacts/{profile.pk}/delete/", "en").content.decode()
    assert "romashka.ru" in confirm and "cannot be deleted" in confirm
    response = client.post(f"/panel/contacts/{profile.pk}/delete/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and ContactProfile.objects.filter(pk=profile.pk).exists()


def test_another_accounts_profile_is_404(client, customer, account_factory):
    other = account_factory(notify=False)
    theirs = actions.create_contact_profile(billing_account=other, **person())
    assert page(client, f"/panel/contacts/{theirs.pk}/").status_code == 404
    assert client.post(f"/panel/contacts/{theirs.pk}/", form(person(city="X"))).status_code == 404
    assert page(client, f"/panel/contacts/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/panel/contacts/{theirs.pk}/delete/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.city == "Москва"
    assert "Личный" not in page(client, "/panel/contacts/").content.decode()
