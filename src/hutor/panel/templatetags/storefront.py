"""Presentation of a tariff's prices on the storefront: one row per billing period."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django import template
from django.utils.translation import ngettext

from hutor.catalog.models import BillingUnit, ServiceType, Tariff
from hutor.core.money import Money

register = template.Library()


@dataclass(frozen=True)
class Offer:
    period_months: int
    label: str  # "3 months", "2 years", in the active language
    price: Money  # for the whole period
    per_unit: Money  # per month, or per year for types billed by the year (not rounded)
    show_per_unit: bool  # the period is longer than one unit, so the per-unit price says more
    setup_fee: Money | None  # one-off, when there is one
    saving_percent: int  # per-unit saving against the shortest period, rounded down


def period_label(months: int, unit: str) -> str:
    if unit == BillingUnit.YEAR and months % 12 == 0:
        years = months // 12
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}


@register.simple_tag
def offers(tariff: Tariff, unit: str) -> list[Offer]:
    """The tariff's active prices (as prefetched by catalog.queries.storefront), shortest
    period first."""
    unit_months = 12 if unit == BillingUnit.YEAR else 1
    rows: list[Offer] = []
    base: Money | None = None
    for price in sorted(tariff.prices.all(), key=lambda p: p.period_months):
        amount = Money(price.price, price.currency)
        per_unit = amount / (Decimal(price.period_months) / unit_months)
        if base is None or base.currency != per_unit.currency:
            base = per_unit
        saving = Decimal(0)
        if base.is_positive() and per_unit < base:
            saving = ((1 - per_unit.amount / base.amount) * 100).quantize(
                Decimal(1), rounding=ROUND_DOWN
            )
        rows.append(
            Offer(
                period_months=price.period_months,
                label=period_label(price.period_months, unit),
                price=amount,
                per_unit=per_unit,
                show_per_unit=price.period_months != unit_months,
                setup_fee=Money(price.setup_fee, price.currency) if price.setup_fee else None,
                saving_percent=int(saving),
            )
        )
    return rows


@register.simple_tag
def lowest_price(service_type: ServiceType) -> Money | None:
    """The lowest price per unit (month or year) among the service type's tariffs and periods:
    the "from ..." of the storefront. Uses the prefetched tariffs and prices."""
    lowest: Money | None = None
    for tariff in service_type.tariffs.all():
        for offer in offers(tariff, service_type.billing_unit):
            if lowest is None or (
                offer.per_unit.currency == lowest.currency and offer.per_unit < lowest
            ):
                lowest = offer.per_unit
    return lowest
