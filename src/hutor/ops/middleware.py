"""The request's id (the proxy's X-Request-ID when it is a sane token, else a new one; sent back
in the response) and, for JSON logs, the logged-in customer's account number, for every log
line written while the request is served."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from hutor.accounts import queries as account_queries
from hutor.ops import logs, views

ROUTES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics_view,
}

SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class HealthMiddleware:
    """First in MIDDLEWARE: /healthz, /readyz and /metrics are answered before the host check,
    the https redirect and the session, so a container's HEALTHCHECK or a probe on
    127.0.0.1 over plain http gets the answer, not a 400 or a redirect (each view does its own
    access control)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ROUTES.get(request.path_info)
        if view is None:
            return self.get_response(request)
        response: HttpResponse = view(request)
        return response


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if SANE_ID.match(given) else uuid.uuid4().hex
        number = ""
        user = getattr(request, "user", None)
        if settings.HUTOR_LOG_FORMAT == "json" and user is not None and user.is_authenticated:
            number = account_queries.login_number(user.pk)
        # Kept until the response is closed (logs.clear, on request_finished): Django logs a
        # 4xx/5xx answer after the middleware chain has returned it.
        logs.request_id.set(rid)
        logs.account.set(number)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response
