from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from hutor.core.money import Money
from hutor.core.templatetags.money import format_money, money

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "ru", "en"),
    [
        ("0", f"0,00{NBSP}₽", "₽0.00"),
        ("1500", f"1{NNBSP}500,00{NBSP}₽", "₽1,500.00"),
        ("199.9", f"199,90{NBSP}₽", "₽199.90"),
        ("1234567.891", f"1{NNBSP}234{NNBSP}567,89{NBSP}₽", "₽1,234,567.89"),
        ("0.005", f"0,01{NBSP}₽", "₽0.01"),  # ROUND_HALF_UP, Money's one rule
        ("-2500.50", f"\u22122{NNBSP}500,50{NBSP}₽", "\u2212₽2,500.50"),
        ("-0.001", f"0,00{NBSP}₽", "₽0.00"),  # rounds to zero: no minus sign
        ("123456789012.99", f"123{NNBSP}456{NNBSP}789{NNBSP}012,99{NBSP}₽", "₽123,456,789,012.99"),
    ],
)
def test_format_money_in_both_languages(amount, ru, en):
    assert format_money(Money(amount, "RUB"), "ru") == ru
    assert format_money(Money(amount, "RUB"), "en") == en


def test_the_filter_follows_the_active_language_and_the_currency():
    with translation.override("ru"):
        assert money(Money("10", "USD")) == f"10,00{NBSP}$"
        assert money(Decimal("1500")) == f"1{NNBSP}500,00{NBSP}₽"
        assert money(Decimal("7"), "EUR") == f"7,00{NBSP}€"
    with translation.override("en"):
        assert money(Money("10", "USD")) == "$10.00"
        assert money(Money("10", "BYN")) == f"Br{NBSP}10.00"
        assert money(1500) == "₽1,500.00"


@pytest.mark.parametrize("value", [None, "", "abc", 1.5, True, Decimal("NaN")])
def test_what_is_not_money_renders_empty(value):
    assert money(value) == ""


def test_in_a_template():
    template = Template("{% load money %}{{ a|money }} {{ b|money:'USD' }}")
    with translation.override("ru"):
        rendered = template.render(Context({"a": Money("1500", "RUB"), "b": Decimal("2")}))
    assert rendered == f"1{NNBSP}500,00{NBSP}₽ 2,00{NBSP}$"
