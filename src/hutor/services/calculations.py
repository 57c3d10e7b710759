"""Pure date and price rules of services."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

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
class HeldPeriod:
    """A paid period of a service as the tariff-change rule sees it (services.PaidPeriod)."""

    key: int  # the PaidPeriod's id, carried into the quote's parts
    start: dt.date
    end: dt.date  # not included
    paid: Money  # what the customer paid for [start, end)
    period_days: int  # days of the billing period `paid` was the price of (≥ end − start)
    new_price: Money  # the new tariff's price of that billing period


@dataclass(frozen=True)
class PeriodPart:
    """One paid period's share of a tariff change."""

    key: int
    paid: Money  # what was paid for the whole period
    unused_days: int  # days of the period from the change on (all of it when not started)
    unused_paid: Money  # what was paid for those days: paid × unused_days / (end − start)
    new_value: Money  # what those days cost at the new tariff: unused_paid + difference
    difference: Money  # > 0 the customer pays, < 0 credited

    @property
    def used(self) -> Money:
        """What stays with the used part of the period (its days before the change)."""
        return self.paid - self.unused_paid


@dataclass(frozen=True)
class PaidChangeQuote:
    """A tariff change valued on what was actually paid (docs/billing-rules.md)."""

    amount: Money  # > 0 the customer pays, < 0 credited to the balance, 0 nothing moves
    remaining_days: int  # paid days from the change on, over every paid period
    parts: tuple[PeriodPart, ...]

    @property
    def is_upgrade(self) -> bool:
        return self.amount.is_positive()

    @property
    def is_downgrade(self) -> bool:
        return self.amount.is_negative()


def quote_paid_periods(
    *, today: dt.date, periods: list[HeldPeriod], currency: str
) -> PaidChangeQuote:
    """The charge or credit of changing tariff on `today`, over the paid periods held.

    For each period, the days from `today` on (today counts) are valued twice, exactly in
    Decimal: at what was paid for them, `paid × unused_days / (end − start)`, and at the new
    tariff, `new_price × unused_days / period_days`. The difference is rounded once per period,
    ROUND_HALF_UP to the minor unit; so a period bought at the list price gives exactly
    `quote_tariff_change`'s amount. The amount is the sum of the differences.

    A credit is therefore never more than what was paid for the unused days: an unpaid period
    has no PaidPeriod and counts for nothing, and a period paid at a lower price (or for
    nothing, like a goodwill extension) is worth only that. Periods that ended count for
    nothing. The new tariff must have a price for each period's billing period (the caller
    finds it).
    """
    parts: list[PeriodPart] = []
    total_amount = Money.zero(currency)
    remaining = 0
    for period in periods:
        days = (period.end - period.start).days
        if days <= 0 or period.period_days < days:
            raise ValueError(f"paid period {period.key} has an impossible length")
        if period.paid.currency != currency or period.new_price.currency != currency:
            raise ValueError(f"paid period {period.key} is in another currency")
        unused_days = (period.end - max(period.start, today)).days
        if unused_days <= 0:
            continue
        unused_paid_exact = period.paid * unused_days / days
        new_exact = period.new_price * unused_days / period.period_days
        unused_paid = unused_paid_exact.rounded()
        difference = (new_exact - unused_paid_exact).rounded()
        new_value = unused_paid + difference
        if new_value.is_negative():  # two roundings of a value under half a kopeck
            difference, new_value = -unused_paid, Money.zero(currency).rounded()
        if not difference:
            difference = Money.zero(currency).rounded()  # never "-0.00"
        parts.append(
            PeriodPart(
                key=period.key,
                paid=period.paid.rounded(),
                unused_days=unused_days,
                unused_paid=unused_paid,
                new_value=new_value,
                difference=difference,
            )
        )
        total_amount += difference
        remaining += unused_days
    amount = total_amount.rounded()
    if not amount:
        amount = Money.zero(currency).rounded()
    return PaidChangeQuote(amount=amount, remaining_days=remaining, parts=tuple(parts))


@dataclass(frozen=True)
class RenewalPlan:
    """One more period of a service (docs/billing-rules.md, "Renewal")."""

    start: dt.date  # the first day of the new period: paid-until, or today for a lapsed service
    end: dt.date  # the new paid-until once the invoice is paid: add_months(start, months)
    months: int  # the period's length (the price's period)
    amount: Money  # the price of the period, rounded to the currency's minor unit
    due_on: dt.date  # the day the paid period ends, or today once it has

    @property
    def due_date(self) -> dt.date:
        """A renewal invoice is due the day the paid period ends (today for a lapsed service):
        reminders count from it, and nothing is overdue while the service is still paid."""
        return self.due_on


def renewal_plan(
    *,
    today: dt.date,
    paid_until: dt.date | None,
    period_months: int,
    price: Money,
    continuous: bool = False,
) -> RenewalPlan:
    """The renewal rule, the one place both renewal paths take it from: a single renewal in the
    panel (services.actions.renew) and the daily run's batches (billing/renewals.py), and the
    extension of a paid renewal (services.actions.apply_paid_renewals).

    The new period extends from the paid-until date, or from today when the service has lapsed
    (paid-until before today) or was never paid; it lasts `period_months` and costs `price`.
    A `continuous` service (a domain: its registry renews from the old expiry date, whenever in
    the grace or redemption period the renewal comes) extends from paid-until even when lapsed.
    """
    if isinstance(period_months, bool) or not isinstance(period_months, int) or period_months < 1:
        raise ValueError(
            f"period_months must be a positive number of months, not {period_months!r}"
        )
    start, end = renewal_period(
        today=today, paid_until=paid_until, period_months=period_months, continuous=continuous
    )
    return RenewalPlan(
        start=start,
        end=end,
        months=period_months,
        amount=price.rounded(),
        due_on=max(start, today),
    )


def renewal_period(
    *, today: dt.date, paid_until: dt.date | None, period_months: int, continuous: bool = False
) -> tuple[dt.date, dt.date]:
    """renewal_plan's dates alone, (start, end): what a paid renewal extends the service to."""
    keeps = paid_until is not None and (continuous or paid_until >= today)
    start = paid_until if keeps and paid_until is not None else today
    return start, add_months(start, period_months)


def is_continuous(service_type_code: str) -> bool:
    """Whether a lapsed service of the type renews from its old paid-until date rather than
    from the day it is paid: the types that expire instead of being suspended (domains,
    HUTOR_BILLING_EXPIRING_TYPES), whose registry keeps the dates."""
    return service_type_code in settings.HUTOR_BILLING_EXPIRING_TYPES
