"""Read models of the catalog for the storefront."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from hutor.catalog.models import ServiceType, Tariff, TariffPrice


def storefront() -> QuerySet[ServiceType]:
    """Active service types with their active tariffs, features and prices, in four queries."""
    prices = TariffPrice.objects.filter(is_active=True).order_by("period_months")
    tariffs = (
        Tariff.objects.filter(is_active=True)
        .order_by("position", "code")
        .prefetch_related("features", Prefetch("prices", queryset=prices))
    )
    return ServiceType.objects.filter(is_active=True).prefetch_related(
        Prefetch("tariffs", queryset=tariffs)
    )
