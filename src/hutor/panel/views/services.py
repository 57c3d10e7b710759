from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hutor.catalog.models import Tariff
from hutor.core.forms import object_id
from hutor.ledger import queries as ledger_queries
from hutor.panel.views.common import customer_required
from hutor.services import actions
from hutor.services.exceptions import ServiceError
from hutor.services.models import Service


def _service(request: HttpRequest, pk: int) -> Service:
    return get_object_or_404(
        Service.objects.select_related("tariff", "service_type"),
        pk=pk,
        billing_account=request.account,  # type: ignore[attr-defined]
    )


@customer_required
def service_list(request: HttpRequest) -> HttpResponse:
    services = (
        Service.objects.filter(billing_account=request.account)  # type: ignore[attr-defined]
        .select_related("tariff", "service_type")
        .order_by("-created_at")
    )
    return render(request, "panel/services/list.html", {"services": services})


@customer_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    invoices = service.invoice_lines.select_related("invoice").order_by("-invoice__issued_at")[:20]
    return render(
        request,
        "panel/services/detail.html",
        {
            "service": service,
            "lines": invoices,
            "open_renewal": actions.open_renewal(service),
            "prices": service.tariff.prices.filter(is_active=True).order_by("period_months"),
            "renewable": service.status in actions.RENEWABLE,
        },
    )


@customer_required
@require_POST
def service_auto_renew(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    service.auto_renew = request.POST.get("auto_renew") == "on"
    service.save(update_fields=["auto_renew"])
    if request.headers.get("HX-Request") == "true":
        # htmx swaps just the toggle; without JavaScript the form posts and redirects as usual.
        return render(request, "panel/services/auto_renew.html", {"service": service})
    if service.auto_renew:
        messages.success(request, _("Auto-renewal is on."))
    else:
        messages.success(request, _("Auto-renewal is off."))
    return redirect("panel:service_detail", pk=service.pk)


@customer_required
@require_POST
def service_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    try:
        actions.cancel_order(service=service)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The order is cancelled."))
    return redirect("panel:service_detail", pk=service.pk)


@customer_required
def service_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """S4, S6: choose a period -> an invoice with its number at once -> paid from the balance
    when it covers it, otherwise a one-click top-up of the missing amount."""
    service = _service(request, pk)
    prices = service.tariff.prices.filter(is_active=True).order_by("period_months")
    if request.method == "POST":
        price_id = object_id(request.POST.get("price"))  # "abc", "-1", 10**20: no such price
        price = prices.filter(pk=price_id).first() if price_id else None
        if price is None:
            messages.error(request, _("Choose a period."))
        else:
            try:
                invoice = actions.renew(service=service, price=price)
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                return redirect("panel:invoice_detail", number=invoice.number)
    return render(
        request,
        "panel/services/renew.html",
        {
            "service": service,
            "prices": prices,
            "renewal_start": actions.renewal_start(service),
            "open_renewal": actions.open_renewal(service),
            "balance": ledger_queries.balance(request.account),  # type: ignore[attr-defined]
        },
    )


@customer_required
def service_change_tariff(request: HttpRequest, pk: int) -> HttpResponse:
    """Shows the prorated charge or credit of each possible tariff before the customer confirms."""
    service = _service(request, pk)
    tariffs = Tariff.objects.filter(service_type=service.service_type, is_active=True).exclude(
        pk=service.tariff_id
    )
    if request.method == "POST":
        tariff_id = object_id(request.POST.get("tariff"))
        new = tariffs.filter(pk=tariff_id).first() if tariff_id else None
        if new is None:
            messages.error(request, _("Choose a tariff."))
        else:
            try:
                invoice = actions.change_tariff(service=service, new_tariff=new)
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                if invoice is not None:
                    return redirect("panel:invoice_detail", number=invoice.number)
                messages.success(
                    request, _("The tariff is changed to %(name)s.") % {"name": new.name}
                )
                return redirect("panel:service_detail", pk=service.pk)
    options = []
    for tariff in tariffs:
        try:
            quote = actions.tariff_change_quote(service=service, new_tariff=tariff)
        except ServiceError as exc:
            options.append({"tariff": tariff, "error": str(exc)})
        else:
            options.append({"tariff": tariff, "quote": quote, "credit": -quote.amount})
    return render(
        request,
        "panel/services/change_tariff.html",
        {"service": service, "options": options},
    )
