"""The Content-Security-Policy header built once per process (core.middleware.CSPMiddleware)
is django-csp's, whatever the response: the settings' policy on a plain page, a view's own
changes, an exemption and a nonce still taken into account, a changed setting seen."""

from __future__ import annotations

import pytest
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory

from hutor.core.middleware import CSPMiddleware

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"


def answered(middleware_class, prepare=lambda request, response: None, path="/"):
    """The response of a view through `middleware_class` alone."""
    request = RequestFactory().get(path)

    def view(request):
        response = HttpResponse("page")
        prepare(request, response)
        return response

    return middleware_class(view)(request)


def both(prepare=lambda request, response: None, path="/"):
    ours = answered(CSPMiddleware, prepare, path)
    theirs = answered(DjangoCSPMiddleware, prepare, path)
    return ours.headers.get(HEADER), theirs.headers.get(HEADER)


def test_a_page_has_django_csps_header():
    ours, theirs = both()
    assert ours == theirs and "script-src 'self'" in ours
    assert Client().get("/").headers[HEADER] == ours


def test_twice_the_same_header():
    assert both() == both()


def test_a_views_own_policy_an_exemption_and_a_nonce_are_django_csps():
    def update(request, response):
        response._csp_update = {"img-src": ["https://cdn.example"]}

    def exempt(request, response):
        response._csp_exempt = True

    def nonce(request, response):
        str(request.csp_nonce)

    ours, theirs = both(update)
    assert ours == theirs and "https://cdn.example" in ours
    assert both(exempt) == (None, None)
    ours, theirs = both(nonce)
    assert "'nonce-" not in ours  # the settings ask for none: django-csp adds none either
    assert ours == theirs


def test_a_changed_setting_is_seen(settings):
    before, _ = both()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    ours, theirs = both()
    assert ours == theirs == "default-src 'none'" != before
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'self'"]},
        "EXCLUDE_URL_PREFIXES": ["/excluded/"],
    }
    ours = answered(CSPMiddleware).headers["Content-Security-Policy-Report-Only"]
    assert ours == answered(DjangoCSPMiddleware).headers["Content-Security-Policy-Report-Only"]
    assert "Content-Security-Policy-Report-Only" not in answered(CSPMiddleware, path="/excluded/x")
