from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hutor.catalog import queries as catalog_queries


def storefront(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/storefront.html", {"service_types": catalog_queries.storefront()})
