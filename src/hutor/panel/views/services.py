from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hutor.catalog.models import Tariff
from hutor.core.forms import object_id
from hutor.ledger import queries as ledger_queries
from hutor.panel import limits, submissions
from hutor.panel.models import FormAction
from hutor.panel.submissions import FormTokenError
from hutor.panel.views.common import customer_required, customer_service
from hutor.panel.views.domains import domain_section
from hutor.services import (
    access,
    actions,
    cancellations,
    certificates,
    expiry,
    lifecycle,
    refusals,
)
from hutor.services.exceptions import ServiceError
from hutor.services.models import Service, ServiceEvent, ServiceStatus

TOO_MANY_CALLS = gettext_lazy(
    "Too many requests to the control panel for this service in the last hour. "
    "Please try again later."
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
    service = customer_service(request, pk)
    invoices = service.invoice_lines.select_related("invoice").order_by("-invoice__issued_at")[:20]
    # A service that is over (terminated, or an order withdrawn) has nothing to set up or show.
    gone = service.status in (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED)
    state = access.NOT_CREATED if gone else access.module_state(service)
    ready = state == access.READY and service.status == ServiceStatus.ACTIVE
    # Shown once: the first time the page is opened after the service is created, then masked.
    password = access.reveal_password(service) if state == access.READY else ""
    response = render(
        request,
        "panel/services/detail.html",
        {
            "service": service,
            "lines": invoices,
            "open_renewal": actions.open_renewal(service),
            "prices": service.tariff.prices.filter(is_active=True).order_by("period_months"),
            "renewable": service.status in actions.RENEWABLE,
            "state": state,
            "access_rows": access.access_rows(service) if state == access.READY else [],
            "password": password,
            "can_reset_password": ready and access.supports(service, "reset_password"),
            "can_log_in": ready and access.supports(service, "login_url"),
            "refusal": refusals.refusal_of(service),
            "cancel_quote": (
                cancellations.quote(service) if cancellations.cancellable(service) else None
            ),
            "cancellation": cancellations.cancellation_of(service),
            "has_password": access.has_password(service),
            "certificate": certificates.certificate_of(service),
            "validation": certificates.validation_of(service),
            "domain": domain_section(service),
            "expired": expiry.standing(service),
        },
    )
    if password:
        add_never_cache_headers(response)  # the password never lingers in a cache
    return response


@customer_required
@require_POST
def service_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    """A new password set by the service's module, then shown once on the service page."""
    service = customer_service(request, pk)
    if not limits.take_service_call(service.pk):
        messages.error(request, TOO_MANY_CALLS)
        return redirect("panel:service_detail", pk=service.pk)
    try:
        access.reset_password(service=service)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("A new password is set. It is shown below once: save it."))
    return redirect("panel:service_detail", pk=service.pk)


@customer_required
@require_POST
def service_log_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Into the service's control panel, by the single sign-on link its module makes."""
    service = customer_service(request, pk)
    if not limits.take_service_call(service.pk):
        messages.error(request, TOO_MANY_CALLS)
        return redirect("panel:service_detail", pk=service.pk)
    try:
        url = access.login_url(service=service)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("panel:service_detail", pk=service.pk)
    return redirect(url)


@customer_required
@require_POST
def service_auto_renew(request: HttpRequest, pk: int) -> HttpResponse:
    service = customer_service(request, pk)
    try:
        service = lifecycle.set_auto_renew(
            service=service,
            on=request.POST.get("auto_renew") == "on",
            actor=ServiceEvent.Actor.CUSTOMER,
            user=request.user,  # type: ignore[arg-type]
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("panel:service_detail", pk=service.pk)
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
    service = customer_service(request, pk)
    account = request.account  # type: ignore[attr-defined]
    try:
        token = submissions.read(request, account, FormAction.CANCEL_ORDER)
        claim = submissions.submit(
            token=token,
            billing_account=account,
            action=FormAction.CANCEL_ORDER,
            perform=lambda: f"service:{actions.cancel_order(service=service).pk}",
        )
    except FormTokenError as exc:
        messages.error(request, exc.message)
        response = service_detail(request, pk)
        response.status_code = 400
        return response
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        # A repeated POST shows the first one's outcome, not "only a pending order ...".
        messages.success(request, _("The order is cancelled."))
        return redirect("panel:service_detail", pk=claim.result_key)
    return redirect("panel:service_detail", pk=service.pk)


@customer_required
def service_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """S4, S6: choose a period -> an invoice with its number at once -> paid from the balance
    when it covers it, otherwise a one-click top-up of the missing amount."""
    service = customer_service(request, pk)
    prices = service.tariff.prices.filter(is_active=True).order_by("period_months")
    status = 200
    if request.method == "POST":
        account = request.account  # type: ignore[attr-defined]
        price_id = object_id(request.POST.get("price"))  # "abc", "-1", 10**20: no such price
        price = prices.filter(pk=price_id).first() if price_id else None

        def renew() -> str:
            if price is None:
                raise ServiceError(_("Choose a period."))
            return f"invoice:{actions.renew(service=service, price=price).number}"

        try:
            token = submissions.read(request, account, FormAction.RENEW)
            claim = submissions.submit(
                token=token, billing_account=account, action=FormAction.RENEW, perform=renew
            )
        except FormTokenError as exc:
            messages.error(request, exc.message)
            status = 400
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            # The first POST's invoice, also for a repeated one (double click, back + resubmit).
            return redirect("panel:invoice_detail", number=claim.result_key)
    return render(
        request,
        "panel/services/renew.html",
        {
            "service": service,
            "prices": prices,
            "renewal_start": actions.renewal_start(service),
            "expired": expiry.standing(service),
            "open_renewal": actions.open_renewal(service),
            "pending_change": actions.pending_change(service),
            "balance": ledger_queries.balance(request.account),  # type: ignore[attr-defined]
        },
        status=status,
    )


@customer_required
def service_change_tariff(request: HttpRequest, pk: int) -> HttpResponse:
    """Shows the prorated charge or credit of each possible tariff before the customer confirms."""
    service = customer_service(request, pk)
    tariffs = Tariff.objects.filter(service_type=service.service_type, is_active=True).exclude(
        pk=service.tariff_id
    )
    status = 200
    if request.method == "POST":
        account = request.account  # type: ignore[attr-defined]
        tariff_id = object_id(request.POST.get("tariff"))
        new = tariffs.filter(pk=tariff_id).first() if tariff_id else None

        def change() -> str:
            # Checked here, after a repeated POST has been answered: the first one may have
            # made the chosen tariff the current one, no longer among the choices.
            if new is None:
                raise ServiceError(_("Choose a tariff."))
            invoice = actions.change_tariff(service=service, new_tariff=new)
            return f"invoice:{invoice.number}" if invoice is not None else f"service:{service.pk}"

        try:
            token = submissions.read(request, account, FormAction.CHANGE_TARIFF)
            claim = submissions.submit(
                token=token,
                billing_account=account,
                action=FormAction.CHANGE_TARIFF,
                perform=change,
            )
        except FormTokenError as exc:
            messages.error(request, exc.message)
            status = 400
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            # The first POST's outcome, also for a repeated one: its invoice (an upgrade), or
            # the service on its new tariff (a downgrade credited, or no charge).
            if claim.submission.result.startswith("invoice:"):
                return redirect("panel:invoice_detail", number=claim.result_key)
            changed = customer_service(request, int(claim.result_key))
            messages.success(
                request, _("The tariff is changed to %(name)s.") % {"name": changed.tariff.name}
            )
            return redirect("panel:service_detail", pk=changed.pk)
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
        status=status,
    )


@customer_required
def service_certificate(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A certificate service's files: the certificate with its chain, and the private key Hutor
    made for it (PEM, or both as PKCS#12), to the service's owner only; never cached."""
    service = customer_service(request, pk)
    try:
        name, content = certificates.download(service, kind)
    except LookupError:
        raise Http404 from None
    response = HttpResponse(content, content_type=certificates.DOWNLOADS[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    add_never_cache_headers(response)
    return response


@customer_required
@require_POST
def service_certificate_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the CA now whether the certificate is issued (after publishing the validation)."""
    service = customer_service(request, pk)
    if not limits.take_service_call(service.pk):
        messages.error(request, TOO_MANY_CALLS)
        return redirect("panel:service_detail", pk=service.pk)
    try:
        state = certificates.refresh(service=service)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        if state == "issued":
            messages.success(request, _("The certificate is issued."))
        else:
            messages.info(request, _("The certificate authority is still waiting for validation."))
    return redirect("panel:service_detail", pk=service.pk)
