"""The customer cancels a service and gets its unused paid days back (services.cancellations):
a confirm page shows the amount and what happens; the POST carries the amount shown, and a
figure that changed meanwhile is answered 409 with the new one, nothing moved."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from hutor.panel.views.common import customer_required, customer_service
from hutor.services import cancellations
from hutor.services.exceptions import ServiceError
from hutor.services.models import ServiceEvent


def shown_amount(text: str | None) -> Decimal | None:
    """The amount a confirm form carried back, or None when it is not a plain amount."""
    try:
        amount = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


@customer_required
def service_cancel_refund(request: HttpRequest, pk: int) -> HttpResponse:
    service = customer_service(request, pk)
    status = 200
    if request.method == "POST":
        expected = shown_amount(request.POST.get("amount"))
        if expected is None:
            messages.error(request, _("The amount to give back is missing: confirm it again."))
            status = 400
        else:
            try:
                cancellations.cancel(
                    service=service,
                    by=ServiceEvent.Actor.CUSTOMER,
                    expected_amount=expected,
                    user=request.user,  # type: ignore[arg-type]
                )
            except cancellations.QuoteChanged as exc:
                messages.error(request, str(exc))
                status = 409
            except ServiceError as exc:
                if cancellations.cancellation_of(service) is not None:
                    # A repeated POST (double click, back + resubmit): the first one did it.
                    return redirect("panel:service_detail", pk=service.pk)
                messages.error(request, str(exc))
                status = 400
            else:
                messages.success(request, _("The service is cancelled."))
                return redirect("panel:service_detail", pk=service.pk)
    service.refresh_from_db()
    return render(
        request,
        "panel/services/cancel_refund.html",
        {
            "service": service,
            "cancellable": cancellations.cancellable(service),
            "quote": cancellations.quote(service),
            "cancellation": cancellations.cancellation_of(service),
        },
        status=status,
    )
