"""`{{ amount|money }}`: an amount of money as people of the active language write it.

Russian: «1 500,00 ₽» (a narrow no-break space between thousands, a comma before kopecks, a
no-break space before the sign). English: "₽1,500.00". The amount is rounded by Money's one
rule (ROUND_HALF_UP to the currency's minor unit) and formatted by Decimal itself, so no float
ever touches it. Anything that is not an amount renders as an empty string, as template
filters should.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.translation import get_language

from hutor.core.money import InvalidAmount, Money

register = template.Library()

SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "UAH": "₴"}
NARROW_NBSP = "\u202f"  # thousands separator of Russian typography: thin and never broken
NBSP = "\u00a0"
MINUS = "\u2212"


def format_money(value: Money, language: str | None = None) -> str:
    money = value.rounded()
    digits = f"{abs(money.amount):,.{money.minor_unit}f}"  # Decimal.__format__: exact
    sign = MINUS if money.amount < 0 else ""
    symbol = SYMBOLS.get(money.currency, money.currency)
    language = language or get_language() or settings.LANGUAGE_CODE
    if language.startswith("ru"):
        digits = digits.translate({ord(","): NARROW_NBSP, ord("."): ","})
        return f"{sign}{digits}{NBSP}{symbol}"
    if len(symbol) > 1:
        return f"{sign}{symbol}{NBSP}{digits}"
    return f"{sign}{symbol}{digits}"


@register.filter
def money(value: Money | Decimal | int | str | None, currency: str | None = None) -> str:
    """Format a Money, or a Decimal in `currency` (default: settings.DEFAULT_CURRENCY).

    Also callable from Python: `money(price.price, price.currency)`."""
    if isinstance(value, Money):
        return format_money(value)
    if value is None or value == "":
        return ""
    try:
        return format_money(Money(value, currency or None))
    except InvalidAmount:
        return ""
