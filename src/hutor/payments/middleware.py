"""Payment services' notifications answered ahead of the browsers' middleware.

A payment service's server-to-server notification (`POST /pay/<method>/result/`) carries no
cookie and needs no session, language, CSRF token, login, messages or frame and CSP headers.
This middleware, in MIDDLEWARE right after SecurityMiddleware (the https redirect and its
headers stay), hands it straight to its view, as ops.middleware.HealthMiddleware does for the
probes: on a notification's short path that chain cost as much as the view's own Python
(docs/performance.md, "Payment notifications"). Kept: the host check (ALLOWED_HOSTS, which
CommonMiddleware would make) and the request id on the log lines (RequestContextMiddleware).
Everything else (another method or address, a payment method that does not exist, whose
404 page is rendered by the whole chain) goes down the whole chain as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from hutor.ops.middleware import RequestContextMiddleware
from hutor.payments import views

SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # the URL's <slug:slug>


@cache
def _around_slug() -> tuple[str, str]:
    """The result address's text before and after the method's slug (from the URLconf)."""
    before, _slug, after = reverse("payments:result", args=["-"]).rpartition("/-/")
    return before + "/", "/" + after


class NotificationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.answer = RequestContextMiddleware(self._result)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            prefix, suffix = _around_slug()
            path = request.path_info
            if path.startswith(prefix) and path.endswith(suffix):
                slug = path[len(prefix) : -len(suffix)]
                if SLUG.fullmatch(slug):
                    request.get_host()  # DisallowedHost (a 400) for a host not allowed
                    request.notification_slug = slug  # type: ignore[attr-defined]
                    try:
                        return self.answer(request)
                    except Http404:
                        pass  # no such method: the whole chain renders the 404 page
        return self.get_response(request)

    @staticmethod
    def _result(request: HttpRequest) -> HttpResponse:
        return views.result(request, request.notification_slug)  # type: ignore[attr-defined]
