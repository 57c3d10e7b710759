from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutor.core.money import CurrencyMismatch, InvalidAmount, Money, total


def test_arithmetic_keeps_currency_and_exactness():
    a = Money("0.10", "RUB")
    b = Money("0.20", "RUB")
    assert a + b == Money("0.30", "RUB")  # float would give 0.30000000000000004
    assert b - a == Money("0.10", "RUB")
    assert -a == Money("-0.10", "RUB")
    assert a * 3 == Money("0.30", "RUB")
    assert 3 * a == Money("0.30", "RUB")
    assert Money("100", "RUB") / 3 == Money(Decimal(100) / 3, "RUB")


def test_mixing_currencies_is_refused():
    with pytest.raises(CurrencyMismatch):
        Money("1", "RUB") + Money("1", "USD")
    with pytest.raises(CurrencyMismatch):
        Money("1", "RUB") < Money("2", "USD")  # noqa: B015
    assert Money("1", "RUB") != Money("1", "USD")


def test_floats_and_garbage_are_not_money():
    with pytest.raises(InvalidAmount):
        Money(0.1, "RUB")
    with pytest.raises(InvalidAmount):
        Money("abc", "RUB")
    with pytest.raises(InvalidAmount):
        Money("NaN", "RUB")
    with pytest.raises(InvalidAmount):
        Money("1", "XXX")
    with pytest.raises(TypeError):
        Money("1", "RUB") * Money("2", "RUB")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.005", "0.01"),  # half up, not banker's rounding
        ("0.015", "0.02"),
        ("0.025", "0.03"),
        ("0.0049", "0.00"),
        ("-0.005", "-0.01"),  # half away from zero for negatives
        ("99.995", "100.00"),
        ("1.234999", "1.23"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(raw, expected):
    assert Money(raw, "RUB").rounded().amount == Decimal(expected)


def test_parse_accepts_what_people_type_and_refuses_extra_decimals():
    assert Money.parse("1 500,50", "RUB") == Money("1500.50", "RUB")
    assert Money.parse("100", "RUB") == Money("100.00", "RUB")
    with pytest.raises(InvalidAmount, match="2 знаками после запятой"):
        Money.parse("10.005", "RUB")


def test_minor_units_and_str():
    assert Money("1500.5", "RUB").minor_units == 150050
    assert str(Money("1500.5", "RUB")) == "1500.50 RUB"
    assert total([Money("1", "RUB"), Money("2.50", "RUB")]) == Money("3.50", "RUB")
    assert total([], "RUB") == Money.zero("RUB")


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2)


@given(amounts, amounts, amounts)
def test_addition_is_exact_associative_and_commutative(a, b, c):
    x, y, z = Money(a, "RUB"), Money(b, "RUB"), Money(c, "RUB")
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert (x + y) - y == x


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6))
def test_rounding_moves_less_than_half_a_kopeck(a):
    rounded = Money(a, "RUB").rounded()
    assert abs(rounded.amount - a) <= Decimal("0.005")
    assert rounded.rounded() == rounded
