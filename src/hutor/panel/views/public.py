from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from hutor.catalog import queries as catalog_queries
from hutor.core.models import Provider
from hutor.offers import queries as offers


def storefront(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/storefront.html", {"service_types": catalog_queries.storefront()})


def offer(request: HttpRequest, number: str | None = None) -> HttpResponse:
    """The public offer the order form asks a customer to accept: the version in force, or a
    published one by its number (what a customer accepted earlier stays readable)."""
    shown = offers.in_force() if number is None else offers.published(number)
    if number is not None and shown is None:
        raise Http404
    return render(
        request,
        "panel/offer.html",
        {
            "provider": Provider.current(),
            "offer": shown,
            "in_force": offers.in_force() if number is not None else shown,
            "versions": offers.published_versions(),
        },
    )
