"""/healthz, /readyz and /metrics: JSON (or Prometheus text) for machines, no login, no
session, no CSRF; never cached."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hutor.core.addresses import client_address
from hutor.ops import health, metrics


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: no database, no cache (a container's HEALTHCHECK, a liveness
    probe)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ok, checks = health.readiness()
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


def _allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for item in settings.HUTOR_METRICS_ALLOW:
        try:
            if ip in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def _authorised(request: HttpRequest) -> bool:
    token = settings.HUTOR_METRICS_TOKEN
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    return _allowed(client_address(request))


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not (settings.HUTOR_METRICS_TOKEN or settings.HUTOR_METRICS_ALLOW):
        raise Http404
    if not _authorised(request):
        response = HttpResponse("forbidden\n", status=403, content_type="text/plain")
        if settings.HUTOR_METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.render(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
