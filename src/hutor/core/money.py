"""Money: a `Decimal` amount with its currency, never a float.

Amounts keep whatever precision arithmetic gives them (a daily price may have many decimal
places); `rounded()` brings them to the currency's minor unit with ROUND_HALF_UP, and the code
calls it only at the documented rounding points (a document line, a proration, a posting).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings

# Minor units per ISO 4217 for the currencies a Russian hosting provider meets.
MINOR_UNITS = {"RUB": 2, "USD": 2, "EUR": 2, "KZT": 2, "BYN": 2, "UAH": 2}


class CurrencyMismatch(TypeError):
    """Two amounts in different currencies were combined."""


class InvalidAmount(ValueError):
    """Text or a number that is not a valid amount of money."""


def _to_decimal(value: Any) -> Decimal:
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
        """Parse what a person typed ("1 500,50", "100.00"); at most the currency's decimals."""
        # Spaces people (and our own "1 500,00 ₽" formatting, with its narrow no-break space) use
        # between thousands.
        money = cls("".join(str(text).split()).replace("\u202f", ""), currency)
        if money.amount != money.rounded().amount:
            raise InvalidAmount(
                f"{text!r} has more than {money.minor_unit} decimal places for {money.currency}"
            )
        return money

    @property
    def minor_unit(self) -> int:
        return MINOR_UNITS[self.currency]

    @property
    def minor_units(self) -> int:
        """The rounded amount in the smallest unit (kopecks for RUB), as QR codes want it."""
        return int(self.rounded().amount.scaleb(self.minor_unit))

    def rounded(self) -> Money:
        """ROUND_HALF_UP to the currency's minor unit: the one rounding rule of Hutor."""
        quantum = Decimal(1).scaleb(-self.minor_unit)
        return Money(self.amount.quantize(quantum, rounding=ROUND_HALF_UP), self.currency)

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

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


def total(items: list[Money] | tuple[Money, ...], currency: str | None = None) -> Money:
    """Sum of amounts in one currency (zero of `currency` for an empty list)."""
    result = Money.zero(currency or (items[0].currency if items else None))
    for item in items:
        result += item
    return result
