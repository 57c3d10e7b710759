"""The catalog on sale: service types and tariffs with their prices. Public, no token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from hutor.api import present
from hutor.api import schemas as s
from hutor.catalog import queries

router = Router(tags=["catalog"], auth=None)


@router.get("/service-types", response=list[s.ServiceTypeOut], url_name="catalog_types")
def service_types(request: HttpRequest) -> list[s.ServiceTypeOut]:
    """Every service type on sale with its tariffs and their prices per period."""
    return [
        present.service_type(row, list(row.tariffs.all()))
        for row in queries.storefront().order_by("position", "code")
    ]


@router.get("/tariffs", response=list[s.TariffOut], url_name="catalog_tariffs")
def tariffs(request: HttpRequest, service_type: str = "") -> list[s.TariffOut]:
    """Tariffs on sale, of one service type when `service_type` (its code) is given."""
    types = queries.storefront().order_by("position", "code")
    if service_type:
        types = types.filter(code=service_type)
    return [present.tariff(t) for row in types for t in row.tariffs.all()]
