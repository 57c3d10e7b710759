"""parse_amount, the one reading of a typed amount, and the form fields built on it."""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st

from hutor.core.forms import MAX_ID, AmountField, object_id
from hutor.core.money import AmountInputError, Money, max_amount, parse_amount


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1500", "1500.00"),
        ("1500.5", "1500.50"),
        ("1500,50", "1500.50"),
        ("1 234,50", "1234.50"),
        ("1234.50", "1234.50"),
        ("  100  ", "100.00"),
        ("1\u202f500,00", "1500.00"),  # our own Russian formatting's narrow no-break space
        ("1\u00a0500", "1500.00"),
        ("+10", "10.00"),
        (".5", "0.50"),
        ("5.", "5.00"),
        ("10.500", "10.50"),  # trailing zeros are not extra precision
        ("0.01", "0.01"),
        ("999 999 999 999,99", "999999999999.99"),
    ],
)
def test_what_people_type_is_read_as_before(typed, expected):
    money = parse_amount(typed, "RUB")
    assert money == Money(expected, "RUB")
    assert str(money.amount) == expected  # at the currency's minor unit


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1e30", "invalid"),
        ("1E+40", "invalid"),
        ("9e999999", "invalid"),
        ("1e3", "invalid"),  # no exponents at all: nobody writes money so
        ("NaN", "invalid"),
        ("sNaN", "invalid"),
        ("Infinity", "invalid"),
        ("-Infinity", "invalid"),
        ("١٢٣", "invalid"),  # Arabic-Indic digits, which Decimal() would take
        ("１２", "invalid"),  # fullwidth digits
        ("1_000", "invalid"),
        ("1,000.50", "invalid"),
        ("1.000,50", "invalid"),
        ("", "invalid"),
        ("   ", "invalid"),
        (".", "invalid"),
        ("-", "invalid"),
        ("abc", "invalid"),
        ("1\x00", "invalid"),
        ("1" * 41, "invalid"),  # longer than anyone types
        ("10.005", "decimal_places"),
        ("0.001", "decimal_places"),
        ("1000000000000", "too_large"),
        ("999999999999.999", "decimal_places"),
        ("0", "not_positive"),
        ("-0", "not_positive"),
        ("0,00", "not_positive"),
        ("-5", "not_positive"),
    ],
)
def test_anything_else_is_refused_with_its_reason(typed, code):
    with pytest.raises(AmountInputError) as refused:
        parse_amount(typed, "RUB")
    assert refused.value.code == code


def test_zero_and_negative_amounts_only_when_allowed():
    assert parse_amount("0", "RUB", allow_zero=True) == Money("0", "RUB")
    assert parse_amount("-0", "RUB", allow_zero=True).amount.is_signed() is False
    assert parse_amount("-5", "RUB", allow_negative=True) == Money("-5", "RUB")
    with pytest.raises(AmountInputError) as refused:
        parse_amount("-5", "RUB", allow_zero=True)
    assert refused.value.code == "negative"
    assert Money.parse("-1 500,5", "RUB") == Money("-1500.50", "RUB")  # Money.parse: any sign


def test_the_largest_amount_is_what_a_money_column_holds(settings):
    assert max_amount("RUB") == Money("999999999999.99", "RUB")
    settings.MONEY_MAX_DIGITS = 10
    assert max_amount("RUB") == Money("99999999.99", "RUB")
    with pytest.raises(AmountInputError):
        parse_amount("100000000", "RUB")


def test_the_messages_are_in_the_readers_language():
    with pytest.raises(AmountInputError) as refused:
        parse_amount("1000000000000", "RUB")
    with translation.override("ru"):
        shown = "999\u202f999\u202f999\u202f999,99\u00a0₽"
        assert str(refused.value) == f"Введите сумму не больше {shown}."
    with translation.override("en"):
        assert str(refused.value) == "Enter an amount of at most ₽999,999,999,999.99."
    with pytest.raises(AmountInputError) as refused:
        parse_amount("1.005", "RUB")
    with translation.override("ru"):
        assert str(refused.value) == "Введите сумму не более чем с 2 знаками после запятой."


@given(st.text(max_size=60))
@example("9e999999")
@example("1E+40")
@example("١٢٣")
@example("-0")
@example("\ud800")
def test_any_text_is_an_amount_or_the_validation_error(text):
    try:
        money = parse_amount(text, "RUB")
    except AmountInputError as exc:
        assert str(exc)  # a sentence to show, whatever the text
    else:
        assert Decimal("0.01") <= money.amount <= max_amount("RUB").amount
        assert money.amount == money.rounded().amount


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999.99"), places=2))
def test_every_amount_we_print_reads_back_as_itself(value):
    from hutor.core.templatetags.money import format_money

    money = Money(value, "RUB")
    for shown in (f"{value}", f"{value}".replace(".", ","), format_money(money, "ru")[:-2]):
        assert parse_amount(shown, "RUB") == money


class TopUp(forms.Form):
    amount = AmountField(currency="RUB")


def test_the_form_field_cleans_to_money_or_shows_the_message():
    form = TopUp({"amount": "1 234,50"})
    assert form.is_valid() and form.cleaned_data["amount"] == Money("1234.50", "RUB")
    with translation.override("en"):
        form = TopUp({"amount": "9e999999"})
        assert not form.is_valid()
        assert form.errors["amount"] == ["Enter an amount like 1500 or 1500.50."]
        form = TopUp({"amount": ""})
        assert not form.is_valid() and form.errors["amount"] == ["This field is required."]
    assert 'inputmode="decimal"' in str(TopUp()["amount"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("abc", None),
        ("١٢٣", None),
        ("1e3", None),
        ("", None),
        (None, None),
        ("1" * 10_000, None),
    ],
)
def test_object_id_takes_only_positive_ascii_integers(value, expected):
    assert object_id(value) == expected
