"""The storefront's domain search: a name (or a word) checked in every zone the catalog sells at
once, each with its year's price and whether it is free, through the zones' registrars
(services.availability); a free name leads to its order form."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hutor.catalog.models import TariffPrice
from hutor.panel import limits
from hutor.panel.forms import domain_zones
from hutor.services import availability
from hutor.services.exceptions import InvalidIdentifier
from hutor.services.identifiers import normalize_domain, zone_of

# At most this many names are checked for one search: every zone sold, the one asked first.
MOST_ZONES = 20


def names_for(query: str, zones: dict[str, TariffPrice]) -> list[tuple[TariffPrice, str]]:
    """The (zone's year price, name) pairs a search asks about: "romashka.ru" is that name
    first, then the same word in the other zones; "romashka" is the word in every zone."""
    text = query.strip().lower().rstrip(".")
    word = text.split(".", 1)[0] if "." in text else text
    asked = normalize_domain(text) if "." in text else ""
    pairs: list[tuple[TariffPrice, str]] = []
    if asked:
        zone = zone_of(asked)
        if zone in zones:
            pairs.append((zones[zone], asked))
        word = asked.split(".", 1)[0]
    for zone, price in zones.items():
        name = normalize_domain(f"{word}.{zone}")
        if name != asked:
            pairs.append((price, name))
    return pairs[:MOST_ZONES]


def domain_search(request: HttpRequest) -> HttpResponse:
    zones = domain_zones()
    query = request.GET.get("q", "").strip()[:253]
    results: list[dict[str, object]] = []
    error = ""
    status = 200
    if query:
        try:
            pairs = names_for(query, zones)
        except InvalidIdentifier as exc:
            error = str(exc)
        else:
            if not limits.take_domain_search(request):
                error = _("Too many searches from your address. Please try again in an hour.")
                status = 429
            else:
                answers = availability.check([(price.tariff, name) for price, name in pairs])
                for (price, name), answer in zip(pairs, answers, strict=True):
                    results.append({"name": name, "price": price, "available": answer.available})
    return render(
        request,
        "panel/domain_search.html",
        {"query": query, "zones": zones, "results": results, "error": error},
        status=status,
    )
