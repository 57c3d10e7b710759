"""The desk cancels a service for its customer with the unused paid days given back
(services.cancellations), audited: the page shows the amount, the POST carries it back, and a
figure that changed meanwhile is answered 409 with the new one, nothing moved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.backoffice import actions, roles
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.views.common import action_page, staff_of
from hutor.core.money import Money
from hutor.core.templatetags.money import format_money
from hutor.services import cancellations
from hutor.services.models import Service


class CancelRefundForm(ReasonForm):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount given back"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.HiddenInput,
    )


@roles.require_action("service.cancel_refund")
def service_cancel_refund(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(
        Service.objects.select_related("billing_account", "tariff", "service_type"), pk=pk
    )
    shown = cancellations.quote(service)
    form = CancelRefundForm(
        request.POST if request.method == "POST" else None,
        initial={"amount": shown.amount.amount},
    )
    changed: list[cancellations.QuoteChanged] = []

    def perform(data: dict[str, Any]) -> str:
        try:
            cancellation = actions.cancel_service_with_refund(
                staff=staff_of(request),
                service=service,
                expected_amount=data["amount"],
                reason=data["reason"],
            )
        except cancellations.QuoteChanged as exc:
            changed.append(exc)
            data = dict(form.data.items())
            data["amount"] = str(exc.amount.amount)  # the new figure, to confirm again
            form.data = data
            raise DeskError(str(exc)) from exc
        return _("The service is cancelled; %(amount)s is back on the balance.") % {
            "amount": format_money(Money(cancellation.amount, cancellation.currency))
        }

    figure = format_money(shown.amount)
    intro = _(
        "The service stops today and is removed with its data. %(amount)s for %(days)d unused "
        "paid days goes back to the customer's balance, valued at what was paid for them."
    ) % {"amount": figure, "days": shown.unused_days}
    if shown.reason:
        intro = f"{figure}: {shown.reason_text}"
    response = action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:service", args=[pk]),
        title=_("Cancel the service and give the unused days back"),
        account=service.billing_account,
        subject=f"{service.tariff.name} {service.identifier}".strip(),
        intro=intro,
        danger=True,
    )
    if changed:
        response.status_code = 409
    return response
