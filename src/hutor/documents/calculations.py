"""Pure rules of closing documents: the month a document closes, and the part of a paid
period's amount that belongs to a month.

A paid period [start, end) for which the customer paid `amount` renders amount × days / D of
service in a month where `days` of its D days fall. Rounded so that the months of a period add
up to its amount exactly: each month's share is the rounded cumulative value at the month's end
less the rounded cumulative value at its start (half up, to kopecks). The last month of the
period therefore takes the remainder (amount less the months before), and the share of a
month never depends on the order in which months are closed. Decimal only.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils.translation import gettext as _

from hutor.core.money import Money
from hutor.services.calculations import add_months

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """A month that cannot be closed, with the reason in the reader's language."""


def parse_month(text: str) -> dt.date:
    """The first day of the month written YYYY-MM; MonthError otherwise."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise MonthError(_("Write the month as YYYY-MM, for example 2026-01."))
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month`'s."""
    return add_months(month.replace(day=1), 1)


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before `day`'s."""
    return add_months(day.replace(day=1), -1)


def last_day(month: dt.date) -> dt.date:
    """The month's last day: the date of its closing documents."""
    return next_month(month) - dt.timedelta(days=1)


def month_share(amount: Money, start: dt.date, end: dt.date, month: dt.date) -> Money:
    """What of a period [start, end) paid `amount` falls in `month`, by days (see above)."""
    days = (end - start).days
    if days <= 0:
        return Money.zero(amount.currency)

    def cumulative(day: dt.date) -> Money:
        elapsed = min(max((day - start).days, 0), days)
        return Money(amount.amount * Decimal(elapsed) / Decimal(days), amount.currency).rounded()

    return cumulative(next_month(month)) - cumulative(month)


def overlap(start: dt.date, end: dt.date, month: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day (included) of [start, end) within the month, or None."""
    first = max(start, month)
    last = min(end, next_month(month)) - dt.timedelta(days=1)
    return (first, last) if first <= last else None


def rendered_by(amount: Money, start: dt.date, end: dt.date, day: dt.date) -> Money:
    """What of a period [start, end) paid `amount` was rendered before `day`: the same rounded
    cumulative value month_share takes at a month's start, so the months closed before `day`
    and this figure agree."""
    days = (end - start).days
    if days <= 0:
        return Money.zero(amount.currency)
    elapsed = min(max((day - start).days, 0), days)
    return Money(amount.amount * Decimal(elapsed) / Decimal(days), amount.currency).rounded()


def advance_part(payment: Money, received: Money, rendered: Money) -> Money:
    """The part of `payment` that is a prepayment (аванс): what the customer has paid in all,
    this payment included (`received`, net of refunds), beyond the services rendered to them
    so far (`rendered`), at most the payment itself. A payment that covers services already
    rendered is, for that part, no advance."""
    ahead = received - rendered
    if ahead.amount <= 0:
        return Money.zero(payment.currency)
    return payment if ahead.amount >= payment.amount else ahead


def rate_fraction(rate: Decimal) -> str:
    """The calculated rate an advance invoice-factura states: 22 → «22/122», 5 → «5/105»."""
    whole = rate.normalize()
    return f"{whole:f}/{(Decimal(100) + rate).normalize():f}"
