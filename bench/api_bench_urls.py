"""Hutor's URLs plus /bench/hello/: the same server's request cycle with no work in it, the
yardstick bench/api.py measures the API against."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from hutor.urls import urlpatterns as hutor_urls


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"Hello, world", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), *hutor_urls]
