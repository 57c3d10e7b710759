"""The storefront's domain search: a name (or a word) checked in every zone the catalog sells at
once, each with its year's price and whether it is free, through the zones' registrars
(services.availability); a free name leads to its order form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hutor.catalog.models import TariffPrice
from hutor.domains import registry
from hutor.domains.models import DomainDetails
from hutor.panel import limits
from hutor.panel.forms import domain_zones
from hutor.panel.views.common import customer_required, customer_service
from hutor.services import availability
from hutor.services.exceptions import InvalidIdentifier, ServiceError
from hutor.services.identifiers import normalize_domain, zone_of
from hutor.services.models import Service, ServiceEvent, ServiceStatus

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


# --- A registered domain's registry side, on its service page ---------------------------------


def domain_section(service: Service) -> dict[str, object] | None:
    """What the service page shows of a domain at a registrar (None for any other service):
    the registry's statuses, expiry and lock as last synced, the nameservers, and which
    changes the registrar allows."""
    if registry.registrar_of(service) is None:
        return None
    details = DomainDetails.objects.filter(service=service).first()
    live = service.status == ServiceStatus.ACTIVE and bool(service.remote_id)
    return {
        "details": details,
        "nameservers": (details.nameservers if details else [])
        or list(service.access.get("nameservers") or []),
        "can_sync": live and registry.supports(service, "info"),
        "can_set_nameservers": live and registry.supports(service, "set_nameservers"),
        "can_get_code": live and registry.supports(service, "transfer_out"),
        "can_lock": live and registry.supports(service, "lock"),
    }


def _limited(request: HttpRequest, service: Service) -> bool:
    if limits.take_service_call(service.pk):
        return False
    messages.error(
        request, _("Too many requests to the registry for this domain. Please try later.")
    )
    return True


@customer_required
@require_POST
def domain_sync(request: HttpRequest, pk: int) -> HttpResponse:
    service = customer_service(request, pk)
    if not _limited(request, service):
        try:
            registry.sync(service=service)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The registry's data is refreshed."))
    return redirect("panel:service_detail", pk=service.pk)


@customer_required
@require_POST
def domain_nameservers(request: HttpRequest, pk: int) -> HttpResponse:
    service = customer_service(request, pk)
    if not _limited(request, service):
        names = request.POST.get("nameservers", "").replace(",", "\n").splitlines()
        try:
            registry.set_nameservers(
                service=service,
                names=names,
                actor=ServiceEvent.Actor.CUSTOMER,
                user=request.user,  # type: ignore[arg-type]
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The nameservers are changed at the registry."))
    return redirect("panel:service_detail", pk=service.pk)


@customer_required
@require_POST
def domain_transfer_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The transfer code, shown on a page of its own (never in a message or a cache)."""
    service = customer_service(request, pk)
    if _limited(request, service):
        return redirect("panel:service_detail", pk=service.pk)
    try:
        code = registry.transfer_code(
            service=service,
            actor=ServiceEvent.Actor.CUSTOMER,
            user=request.user,  # type: ignore[arg-type]
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("panel:service_detail", pk=service.pk)
    response = render(
        request, "panel/services/transfer_code.html", {"service": service, "code": code}
    )
    add_never_cache_headers(response)
    return response


@customer_required
@require_POST
def domain_lock(request: HttpRequest, pk: int) -> HttpResponse:
    service = customer_service(request, pk)
    locked = request.POST.get("locked") == "on"
    if not _limited(request, service):
        try:
            registry.set_lock(
                service=service,
                locked=locked,
                actor=ServiceEvent.Actor.CUSTOMER,
                user=request.user,  # type: ignore[arg-type]
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("The transfer lock is on.") if locked else _("The transfer lock is off."),
            )
    return redirect("panel:service_detail", pk=service.pk)
