from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hutor.core.forms import AmountField
from hutor.panel.views.common import customer_required
from hutor.payments.actions import start_top_up
from hutor.payments.exceptions import InvalidTopUp
from hutor.payments.gateways import get_gateway
from hutor.payments.models import Payment, PaymentMethod, PaymentStatus

log = logging.getLogger("hutor.payments")


class MethodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PaymentMethod) -> str:
        return obj.name


class TopUpForm(forms.Form):
    amount = AmountField(label=_("Amount"))
    method = MethodChoiceField(
        label=_("Payment method"),
        queryset=PaymentMethod.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        amount = self.fields["amount"]
        assert isinstance(amount, AmountField)
        amount.currency = account.currency
        field = self.fields["method"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PaymentMethod.objects.filter(is_enabled=True, currency=account.currency)


@customer_required
def top_up(request: HttpRequest) -> HttpResponse:
    """S5: an arbitrary amount and a payment method -> a payment with its own number, and a
    link to the payment service or to the printable bank document. No invoice."""
    account = request.account  # type: ignore[attr-defined]
    initial = {"amount": request.GET.get("amount", "")}
    form = TopUpForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            payment = start_top_up(
                billing_account=account,
                method=form.cleaned_data["method"],
                amount=form.cleaned_data["amount"],
            )
        except InvalidTopUp as exc:
            form.add_error("amount", str(exc))
        else:
            return payment_pay(request, payment.number)
    return render(request, "panel/payments/top_up.html", {"form": form, "account": account})


@customer_required
def payment_list(request: HttpRequest) -> HttpResponse:
    payments = Payment.objects.filter(billing_account=request.account).select_related("method")  # type: ignore[attr-defined]
    page = Paginator(payments.order_by("-created_at", "-id"), 25).get_page(request.GET.get("page"))
    return render(request, "panel/payments/list.html", {"page": page})


@customer_required
def payment_detail(request: HttpRequest, number: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("method"),
        number=number,
        billing_account=request.account,  # type: ignore[attr-defined]
    )
    gateway = get_gateway(payment.method.gateway)
    return render(
        request,
        "panel/payments/detail.html",
        {"payment": payment, "online": gateway.online},
    )


@customer_required
@require_POST
def payment_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Go (again) to the payment service for a pending payment."""
    payment = get_object_or_404(
        Payment.objects.select_related("method"),
        number=number,
        billing_account=request.account,  # type: ignore[attr-defined]
        status=PaymentStatus.PENDING,
    )
    try:
        action = get_gateway(payment.method.gateway).start(payment)
    except Exception:
        log.exception("starting payment %s failed", payment.number)
        messages.error(
            request, gettext_now("The payment service is not available now. Please try later.")
        )
        return redirect("panel:payment_detail", number=payment.number)
    if action.method == "POST":
        return render(request, "panel/payments/redirect.html", {"action": action})
    return redirect(action.url)
