"""The checks of a contact profile, one by one, and the INN and OGRN check digits as
properties: a number made by the FNS algorithm passes, and changing any one digit fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from hutor.domains import validators as v

# The FNS check digit: the digits weighted, summed, modulo 11, modulo 10 (independent of
# accounts.requisites, which the validators use).
W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def check_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def company_inn(body: str) -> str:
    return body + check_digit(body, W10)


def person_inn(body: str) -> str:
    eleven = body + check_digit(body, W11[:10])
    return eleven + check_digit(eleven, W12)


def ogrn(body: str) -> str:
    return body + str(int(body) % 11 % 10)


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def one_digit_changed(number: str, data: st.DataObject) -> str:
    position = data.draw(st.integers(0, len(number) - 1))
    other = data.draw(digits.filter(lambda d: d != number[position]))
    return number[:position] + other + number[position + 1 :]


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_company_inn_made_by_the_algorithm_passes(body):
    assert v.validate_inn(company_inn(body), length=10) == company_inn(body)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_a_person_inn_made_by_the_algorithm_passes(body):
    assert v.validate_inn(person_inn(body), length=12) == person_inn(body)


def remainder(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11


def blind_spot(valid: str, changed: str) -> bool:
    """The FNS algorithm's one blind spot: a weighted sum of remainder 10 and one of 0 both
    give the check digit 0, so a change that moves a remainder between them keeps the number
    valid ("0000000000" and "5000000000" are both valid company INNs). Every other one-digit
    change moves the remainder to another check digit (no weight is a multiple of 11)."""
    pairs = [(W10, 9)] if len(valid) == 10 else [(W11[:10], 10), (W12, 11)]
    return any(
        {remainder(valid[:n], w), remainder(changed[:n], w)} == {0, 10}
        and valid[n] == changed[n] == "0"
        for w, n in pairs
    )


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.data())
def test_any_one_digit_changed_in_a_company_inn_fails(body, data):
    valid = company_inn(body)
    wrong = one_digit_changed(valid, data)
    if blind_spot(valid, wrong):
        assert v.validate_inn(wrong, length=10) == wrong  # valid by the FNS rule itself
        return
    with pytest.raises(ValidationError) as caught:
        v.validate_inn(wrong, length=10)
    assert caught.value.code == "inn_checksum"


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.data())
def test_any_one_digit_changed_in_a_person_inn_fails(body, data):
    valid = person_inn(body)
    wrong = one_digit_changed(valid, data)
    if blind_spot(valid, wrong) and person_inn(wrong[:10]) == wrong:
        assert v.validate_inn(wrong, length=12) == wrong
        return
    with pytest.raises(ValidationError) as caught:
        v.validate_inn(wrong, length=12)
    assert caught.value.code == "inn_checksum"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.data())
def test_a_changed_check_digit_always_fails(body, data):
    valid = company_inn(body)
    position = 9
    other = data.draw(digits.filter(lambda d: d != valid[position]))
    with pytest.raises(ValidationError):
        v.validate_inn(valid[:position] + other, length=10)


def test_the_blind_spot_is_the_algorithms_not_ours():
    assert v.validate_inn("5000000000", length=10) == "5000000000"
    with pytest.raises(ValidationError):
        v.validate_inn("5000000001", length=10)


@given(
    st.text("123456789", min_size=1, max_size=1),
    st.text("0123456789", min_size=11, max_size=11),
    st.data(),
)
def test_an_ogrn_made_by_the_algorithm_passes_and_a_wrong_check_digit_fails(first, rest, data):
    number = ogrn(first + rest)
    assert v.validate_ogrn(number) == number
    other = data.draw(digits.filter(lambda d: d != number[-1]))
    with pytest.raises(ValidationError):
        v.validate_ogrn(number[:-1] + other)


def test_inn_length_and_characters_are_named():
    with pytest.raises(ValidationError) as caught:
        v.validate_inn("770708389", length=10)
    assert caught.value.code == "inn_length"
    with pytest.raises(ValidationError) as caught:
        v.validate_inn("77070838a3", length=10)
    assert caught.value.code == "inn_digits"


@pytest.mark.parametrize("kpp", ["773601001", "7736AB001"])
def test_a_kpp_has_nine_characters(kpp):
    assert v.validate_kpp(kpp) == kpp
    with pytest.raises(ValidationError):
        v.validate_kpp(kpp[:-1])


@pytest.mark.parametrize(
    ("typed", "e164", "epp"),
    [
        ("+7 916 123-45-67", "+79161234567", "+7.9161234567"),
        ("8 (916) 123-45-67", "+79161234567", "+7.9161234567"),
        ("+44 20 7946 0958", "+442079460958", "+44.2079460958"),
        ("00372 512 3456", "+3725123456", "+372.5123456"),
        ("+1 (212) 555-0100", "+12125550100", "+1.2125550100"),
    ],
)
def test_phones_are_stored_in_e164_and_given_to_the_registry_in_epp_form(typed, e164, epp):
    assert v.normalize_phone(typed) == e164
    assert v.epp_phone(e164) == epp


@pytest.mark.parametrize("typed", ["916 123 45 67", "+7 916 123 45", "phone", "+0 123 456 789", ""])
def test_an_unparseable_phone_is_refused(typed):
    with pytest.raises(ValidationError):
        v.normalize_phone(typed)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_every_russian_number_round_trips_through_the_epp_form(national):
    e164 = v.normalize_phone("+7" + national)
    assert v.epp_phone(e164) == "+7." + national


def test_latin_names():
    assert v.validate_latin("  Ivan  I Ivanov ") == "Ivan I Ivanov"
    assert v.validate_latin("O'Brien-Smith") == "O'Brien-Smith"
    assert v.validate_latin("Romashka 2000 LLC", company=True) == "Romashka 2000 LLC"
    for wrong in ("Иван Ivanov", "Ivan2", "", "Ivän"):
        with pytest.raises(ValidationError):
            v.validate_latin(wrong)


def test_countries_and_emails():
    assert v.validate_country(" ru ") == "RU"
    for wrong in ("XX", "RUS", ""):
        with pytest.raises(ValidationError):
            v.validate_country(wrong)
    assert v.validate_email("Ivan@Example.com ") == "ivan@example.com"
    with pytest.raises(ValidationError):
        v.validate_email("ivan@")


def test_a_registrant_is_at_least_18_on_the_day():
    today = dt.date(2026, 11, 30)
    assert v.validate_birth_date(dt.date(2008, 11, 30), today=today)
    with pytest.raises(ValidationError) as caught:
        v.validate_birth_date(dt.date(2008, 12, 1), today=today)
    assert caught.value.code == "birth_date_minor"
    with pytest.raises(ValidationError) as caught:
        v.validate_birth_date(today, today=today)
    assert caught.value.code == "birth_date"


def test_a_russian_passport_number():
    assert v.validate_passport_number("45 10 123456", country="RU") == "4510 123456"
    with pytest.raises(ValidationError):
        v.validate_passport_number("4510 12345", country="RU")
    assert v.validate_passport_number("C01X00T47", country="DE") == "C01X00T47"


def test_messages_are_in_russian_and_english():
    for language, text in (("ru", "Контрольное число ИНН"), ("en", "fails its checksum")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            v.validate_inn("7707083894", length=10)
        assert text in caught.value.messages[0]
    for language, text in (("ru", "не младше 18 лет"), ("en", "at least 18 years old")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            v.validate_birth_date(dt.date(2020, 1, 1), today=dt.date(2026, 1, 1))
        assert text in caught.value.messages[0]
