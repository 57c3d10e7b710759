"""The catalog on sale: service types and tariffs with their prices. Public, no token."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router

from hutor.api import present
from hutor.api import schemas as s
from hutor.api.endpoints.common import PROBLEMS
from hutor.api.problems import ApiProblem
from hutor.catalog import queries
from hutor.offers import queries as offers

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


@router.get("/offer", response={200: s.OfferOut, **PROBLEMS}, url_name="catalog_offer")
def offer(request: HttpRequest) -> s.OfferOut:
    """The public offer in force: customers' orders carry its number as their acceptance."""
    current = offers.in_force()
    if current is None:
        raise ApiProblem("not_found", _("No public offer is published."))
    path = reverse("panel:offer_version", args=[current.number])
    return s.OfferOut(
        number=current.number,
        effective_from=current.effective_from,
        url=settings.HUTOR_BASE_URL.rstrip("/") + path,
    )
