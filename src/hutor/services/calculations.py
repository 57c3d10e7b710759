"""Pure date and price rules of services."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from hutor.core.money import Money


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class TariffChangeQuote:
    """What a tariff change costs or credits for the paid remainder (docs/billing-rules.md)."""

    remaining_days: int  # paid days left: today counts, paid_until (the first unpaid day) does not
    period_days: int  # days in the current paid period [period_start, paid_until)
    period_start: dt.date  # add_months(paid_until, -period_months)
    old_daily: Decimal  # old period price / period_days, unrounded
    new_daily: Decimal  # new period price / period_days, unrounded
    amount: Money  # > 0 the customer pays, < 0 credited to the balance, 0 nothing moves

    @property
    def is_upgrade(self) -> bool:
        """The customer pays `amount` (an invoice is due)."""
        return self.amount.is_positive()

    @property
    def is_downgrade(self) -> bool:
        """`-amount` is credited to the customer's balance."""
        return self.amount.is_negative()


def quote_tariff_change(
    *,
    today: dt.date,
    paid_until: dt.date | None,
    period_months: int,
    old_price: Money,
    new_price: Money,
) -> TariffChangeQuote:
    """The prorated charge (upgrade) or credit (downgrade) of changing tariff on `today`.

    `old_price` and `new_price` are the prices of the same billing period (`period_months`)
    in the same currency. The amount is remaining_days × (new − old) / period_days, exact in
    Decimal and rounded once, ROUND_HALF_UP (half away from zero) to the currency's minor unit,
    so A→B and B→A on the same day are exact opposites. `paid_until` is the first unpaid day,
    today counts as a remaining day (the new tariff applies from today), and a lapsed or
    never-paid service (paid_until None or ≤ today) has nothing to prorate: amount 0.
    """
    if isinstance(period_months, bool) or not isinstance(period_months, int) or period_months < 1:
        raise ValueError(
            f"period_months must be a positive number of months, not {period_months!r}"
        )
    difference = new_price - old_price  # raises CurrencyMismatch for two currencies
    if old_price.is_negative() or new_price.is_negative():
        raise ValueError("a tariff price cannot be negative")
    if paid_until is None:
        # Never paid: no current period; the one a payment today would make stands in for it.
        period_start = today
        period_days = (add_months(today, period_months) - today).days
    else:
        period_start = add_months(paid_until, -period_months)
        period_days = (paid_until - period_start).days
    remaining_days = (
        0 if paid_until is None else min(max((paid_until - today).days, 0), period_days)
    )
    amount = (difference * remaining_days / period_days).rounded()
    if not amount:
        amount = Money.zero(difference.currency).rounded()  # never "-0.00"
    return TariffChangeQuote(
        remaining_days=remaining_days,
        period_days=period_days,
        period_start=period_start,
        old_daily=old_price.amount / period_days,
        new_daily=new_price.amount / period_days,
        amount=amount,
    )


@dataclass(frozen=True)
class RenewalPlan:
    """One more period of a service (docs/billing-rules.md, "Renewal")."""

    start: dt.date  # the first day of the new period: paid-until, or today for a lapsed service
    end: dt.date  # the new paid-until once the invoice is paid: add_months(start, months)
    months: int  # the period's length (the price's period)
    amount: Money  # the price of the period, rounded to the currency's minor unit

    @property
    def due_date(self) -> dt.date:
        """A renewal invoice is due the day the paid period ends (today for a lapsed service):
        reminders count from it, and nothing is overdue while the service is still paid."""
        return self.start


def renewal_plan(
    *, today: dt.date, paid_until: dt.date | None, period_months: int, price: Money
) -> RenewalPlan:
    """The renewal rule, the one place both renewal paths take it from: a single renewal in the
    panel (services.actions.renew) and the daily run's batches (billing/renewals.py), and the
    extension of a paid renewal (services.actions.apply_paid_renewals).

    The new period extends from the paid-until date, or from today when the service has lapsed
    (paid-until before today) or was never paid; it lasts `period_months` and costs `price`.
    """
    if isinstance(period_months, bool) or not isinstance(period_months, int) or period_months < 1:
        raise ValueError(
            f"period_months must be a positive number of months, not {period_months!r}"
        )
    start, end = renewal_period(today=today, paid_until=paid_until, period_months=period_months)
    return RenewalPlan(start=start, end=end, months=period_months, amount=price.rounded())


def renewal_period(
    *, today: dt.date, paid_until: dt.date | None, period_months: int
) -> tuple[dt.date, dt.date]:
    """renewal_plan's dates alone, (start, end): what a paid renewal extends the service to."""
    start = paid_until if paid_until is not None and paid_until >= today else today
    return start, add_months(start, period_months)
