"""Money: a `Decimal` amount with its currency, never a float.

Amounts keep whatever precision arithmetic gives them (a daily price may have many decimal
places); `rounded()` brings them to the currency's minor unit with ROUND_HALF_UP, and the code
calls it only at the documented rounding points (a document line, a proration, a posting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Minor units per ISO 4217 for the currencies a Russian hosting provider meets.
MINOR_UNITS = {"RUB": 2, "USD": 2, "EUR": 2, "KZT": 2, "BYN": 2, "UAH": 2}


# The minor unit of each currency as a Decimal quantum (0.01), made once.
_QUANTA = {code: Decimal(1).scaleb(-units) for code, units in MINOR_UNITS.items()}


class CurrencyMismatch(TypeError):
    """Two amounts in different currencies were combined."""


class InvalidAmount(ValueError):
    """Text or a number that is not a valid amount of money."""


def _to_decimal(value: Any) -> Decimal:
    if type(value) is Decimal and value.is_finite():
        return value  # already one (an immutable value: no copy needed); the common case
    if isinstance(value, float):
        raise InvalidAmount("floats are not money; pass a Decimal, an int or a string")
    if isinstance(value, bool):
        raise InvalidAmount("a boolean is not money")
    try:
        result = (
            Decimal(str(value).strip().replace(",", "."))
            if isinstance(value, str)
            else Decimal(value)
        )
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidAmount(f"{value!r} is not an amount of money") from exc
    if not result.is_finite():
        raise InvalidAmount(f"{value!r} is not a finite amount")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str | None = None) -> None:
        currency = (currency or settings.DEFAULT_CURRENCY).upper()
        if currency not in MINOR_UNITS:
            raise InvalidAmount(f"unknown currency {currency!r}")
        object.__setattr__(self, "amount", _to_decimal(amount))
        object.__setattr__(self, "currency", currency)

    @classmethod
    def zero(cls, currency: str | None = None) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def parse(cls, text: str, currency: str | None = None) -> Money:
        """Parse what a person typed ("1 500,50", "100.00"), of any sign: `parse_amount`."""
        return parse_amount(text, currency, allow_negative=True, allow_zero=True)

    @property
    def minor_unit(self) -> int:
        return MINOR_UNITS[self.currency]

    @property
    def minor_units(self) -> int:
        """The rounded amount in the smallest unit (kopecks for RUB), as QR codes want it."""
        return int(self.rounded().amount.scaleb(self.minor_unit))

    def rounded(self) -> Money:
        """ROUND_HALF_UP to the currency's minor unit: the one rounding rule of Hutor."""
        quantum = _QUANTA[self.currency]
        return _made(self.amount.quantize(quantum, rounding=ROUND_HALF_UP), self.currency)

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")
        return other

    def __add__(self, other: object) -> Money:
        return _made(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: object) -> Money:
        return _made(self.amount - self._same_currency(other).amount, self.currency)

    def __neg__(self) -> Money:
        return _made(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return _made(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            raise TypeError("money times money has no meaning")
        return Money(self.amount * _to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if isinstance(divisor, Money):
            raise TypeError("divide money by a number, not by money")
        return Money(self.amount / _to_decimal(divisor), self.currency)

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same_currency(other).amount

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __bool__(self) -> bool:
        return self.amount != 0

    def is_positive(self) -> bool:
        return self.amount > 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.rounded().amount:.{self.minor_unit}f} {self.currency}"

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"


def _made(amount: Decimal, currency: str) -> Money:
    """The Money of arithmetic on Money: `amount` a Decimal that arithmetic on finite Decimals
    gave (finite: the default context raises on overflow), `currency` one already checked; so
    neither is converted or checked again (the billing run makes hundreds of thousands)."""
    money = object.__new__(Money)
    object.__setattr__(money, "amount", amount)
    object.__setattr__(money, "currency", currency)
    return money


# --- Amounts people type ---------------------------------------------------------------------
#
# Every typed amount (panel and desk forms, the CLI, the admin) goes through `parse_amount`, which
# reads only this shape: an optional sign, ASCII digits, one optional decimal point or comma,
# ASCII digits. Spaces anywhere are dropped ("1 234,50"; our own formatting uses narrow no-break
# spaces). No exponents, no NaN or Infinity, no other scripts' digits, no "_" separators: none of
# them is how a person writes a sum of money, and the bounded shape keeps Decimal from ever being
# asked for a billion-digit number. The largest amount is the largest a money column holds.

AMOUNT_TEXT_LIMIT = 40  # characters as typed, spaces included
_AMOUNT_SHAPE = re.compile(r"([+-]?)([0-9]*)(?:[.,]([0-9]*))?", re.ASCII)


def max_amount(currency: str | None = None) -> Money:
    """The largest amount a money column holds (settings.MONEY_MAX_DIGITS and
    MONEY_DECIMAL_PLACES): 999 999 999 999.99 with the default 14 and 2."""
    places = settings.MONEY_DECIMAL_PLACES
    largest = Decimal(10) ** (settings.MONEY_MAX_DIGITS - places) - Decimal(1).scaleb(-places)
    return Money(largest, currency)


def storable(amount: Money) -> bool:
    """Whether an amount that came from elsewhere (a payment service's notification) is a
    positive amount a money column holds, at the currency's minor unit; checked before any
    arithmetic, which a value like 9e999999 or NaN would make raise."""
    value = amount.amount
    if not value.is_finite() or value <= 0 or value > max_amount().amount:
        return False
    # Bounded, so quantizing cannot fail: "700.000000" (Robokassa's own format) is 700.00.
    return value == value.quantize(Decimal(1).scaleb(-amount.minor_unit))


class AmountInputError(InvalidAmount):
    """Typed text that is not an acceptable amount. `code` says why (invalid, decimal_places,
    too_large, not_positive, negative); `message` is the reader's sentence, rendered in the
    active language by `str()`."""

    MESSAGES: dict[str, Promise] = {
        "invalid": _("Enter an amount like 1500 or 1500.50."),
        "decimal_places": _("Enter an amount with at most %(places)s decimal places."),
        "too_large": _("Enter an amount of at most %(max)s."),
        "not_positive": _("Enter an amount greater than zero."),
        "negative": _("Enter an amount of zero or more."),
    }

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> Promise:
        return self.MESSAGES[self.code]

    def __str__(self) -> str:
        from hutor.core.templatetags.money import format_money  # it imports this module

        shown = {k: format_money(v) if isinstance(v, Money) else v for k, v in self.params.items()}
        return str(self.message) % shown if shown else str(self.message)


def parse_amount(
    text: object,
    currency: str | None = None,
    *,
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> Money:
    """What a person typed as an amount in `currency`, as Money at the currency's minor unit.

    Accepts "1500", "1500.5", "1 500,50", "+10"; refuses anything else with AmountInputError
    (and only with it, whatever the text): more decimal places than the currency has, more
    than `max_amount`, zero unless `allow_zero`, a negative amount unless `allow_negative`.
    """
    currency = (currency or settings.DEFAULT_CURRENCY).upper()
    if currency not in MINOR_UNITS:
        raise InvalidAmount(f"unknown currency {currency!r}")  # the caller's mistake, not input
    raw = text if isinstance(text, str) else ""
    if not raw or len(raw) > AMOUNT_TEXT_LIMIT:
        raise AmountInputError("invalid")
    compact = "".join(raw.split()).replace("\u202f", "")
    shape = _AMOUNT_SHAPE.fullmatch(compact)
    if shape is None:
        raise AmountInputError("invalid")
    sign, whole, fraction = shape.group(1), shape.group(2), shape.group(3) or ""
    if not whole and not fraction:
        raise AmountInputError("invalid")
    places = MINOR_UNITS[currency]
    if len(fraction.rstrip("0")) > places:
        raise AmountInputError("decimal_places", places=places)
    value = Decimal(f"{sign}{whole or 0}.{fraction or 0}")
    largest = max_amount(currency)
    if abs(value) > largest.amount:
        raise AmountInputError("too_large", max=largest)
    if value.is_zero():
        if not allow_zero:
            raise AmountInputError("not_positive")
        value = abs(value)  # "-0" is zero
    elif value < 0 and not allow_negative:
        raise AmountInputError("not_positive" if not allow_zero else "negative")
    return Money(value.quantize(Decimal(1).scaleb(-places)), currency)


def total(items: list[Money] | tuple[Money, ...], currency: str | None = None) -> Money:
    """Sum of amounts in one currency (zero of `currency` for an empty list)."""
    result = Money.zero(currency or (items[0].currency if items else None))
    for item in items:
        result += item
    return result
