from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hutor.catalog import queries as catalog_queries
from hutor.core.models import Provider


def storefront(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/storefront.html", {"service_types": catalog_queries.storefront()})


def offer(request: HttpRequest) -> HttpResponse:
    """The provider's public offer, which the order form asks a customer to accept."""
    return render(request, "panel/offer.html", {"provider": Provider.current()})
