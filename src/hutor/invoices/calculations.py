"""Pure rules of a manual invoice's free lines: what a line may hold and what it amounts to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from hutor.invoices.exceptions import ManualInvoiceRefused

# A manual invoice holds 1..MAX_LINES lines; a desk form shows fewer rows (backoffice.forms).
MAX_LINES = 50
MAX_DESCRIPTION = 300  # InvoiceLine.description_ru/_en
QUANTITY_PLACES = 3  # InvoiceLine.quantity
MAX_QUANTITY = Decimal("999999")
# The largest amount a line or total may hold (AmountField's digits).
MAX_AMOUNT = Decimal(10) ** (settings.MONEY_MAX_DIGITS - settings.MONEY_DECIMAL_PLACES) - 1


@dataclass(frozen=True)
class ManualLine:
    """One free line as staff typed it: a description, a quantity and a unit price (a Decimal
    in the account's currency)."""

    description: str
    quantity: Decimal
    unit_price: Decimal


def _places(value: Decimal) -> int:
    """Digits after the point, trailing zeros aside («1.50» has one). Not normalize(): it
    rounds to the context's 28 digits, and 1.000…0001 would pass as 1."""
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    places = -exponent
    for digit in reversed(digits):
        if digit or not places:
            break
        places -= 1
    return places


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """quantity × unit price, rounded ROUND_HALF_UP to kopecks: the line's amount (the one
    rounding point of a manual invoice; its total is the sum of the rounded lines)."""
    return (quantity * unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def checked_lines(lines: list[ManualLine]) -> list[tuple[ManualLine, Decimal]]:
    """The lines with their amounts, or ManualInvoiceRefused saying what is wrong (numbered
    from 1, as the reader sees the lines)."""
    if not lines:
        raise ManualInvoiceRefused(_("An invoice needs at least one line."))
    if len(lines) > MAX_LINES:
        raise ManualInvoiceRefused(
            _("An invoice holds at most %(count)d lines.") % {"count": MAX_LINES}
        )
    result = []
    for position, line in enumerate(lines, start=1):
        where = {"line": position}
        description = line.description.strip()
        if not description or "\x00" in description:
            raise ManualInvoiceRefused(_("Line %(line)d: write what it is for.") % where)
        if len(description) > MAX_DESCRIPTION:
            raise ManualInvoiceRefused(
                _("Line %(line)d: the description is longer than %(count)d characters.")
                % {**where, "count": MAX_DESCRIPTION}
            )
        quantity, price = line.quantity, line.unit_price
        if not (quantity.is_finite() and quantity > 0 and quantity <= MAX_QUANTITY) or (
            _places(quantity) > QUANTITY_PLACES
        ):
            raise ManualInvoiceRefused(
                _(
                    "Line %(line)d: the quantity must be positive, with at most three digits "
                    "after the point."
                )
                % where
            )
        if not (price.is_finite() and price > 0 and price <= MAX_AMOUNT) or _places(price) > 2:
            raise ManualInvoiceRefused(
                _(
                    "Line %(line)d: the unit price must be positive, with at most two digits "
                    "after the point."
                )
                % where
            )
        amount = line_amount(quantity, price)
        if amount <= 0 or amount > MAX_AMOUNT:
            raise ManualInvoiceRefused(_("Line %(line)d: the amount is out of range.") % where)
        result.append((ManualLine(description, quantity, price), amount))
    if sum(amount for _line, amount in result) > MAX_AMOUNT:
        raise ManualInvoiceRefused(_("The invoice's total is out of range."))
    return result
