from __future__ import annotations

import logging
import uuid

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hutor.core.forms import AmountField, IdChoiceField
from hutor.panel import submissions
from hutor.panel.models import FormAction
from hutor.panel.submissions import FormTokenError
from hutor.panel.views.common import customer_required
from hutor.payments.actions import start_top_up
from hutor.payments.exceptions import InvalidTopUp
from hutor.payments.gateways import get_gateway
from hutor.payments.models import Payment, PaymentMethod, PaymentStatus

log = logging.getLogger("hutor.payments")


class MethodChoiceField(IdChoiceField):
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
    status = 200
    if request.method == "POST":
        try:
            token = submissions.read(request, account, FormAction.TOP_UP)
        except FormTokenError as exc:
            form.add_error(None, exc.message)
            status = 400
        else:
            response = _top_up(request, form, token)
            if response is not None:
                return response
    return render(
        request, "panel/payments/top_up.html", {"form": form, "account": account}, status=status
    )


def _top_up(request: HttpRequest, form: TopUpForm, token: uuid.UUID) -> HttpResponse | None:
    """Create the payment once per form token and go on to pay it; None: show the form."""
    account = request.account  # type: ignore[attr-defined]
    done = submissions.previous(token, account, FormAction.TOP_UP)
    if done is None:
        # Validated only for a first POST: a repeated one goes to the first payment as it is.
        if not form.is_valid():
            return None

        def start() -> str:
            payment = start_top_up(
                billing_account=account,
                method=form.cleaned_data["method"],
                amount=form.cleaned_data["amount"],
            )
            return f"payment:{payment.number}"

        try:
            claim = submissions.submit(
                token=token, billing_account=account, action=FormAction.TOP_UP, perform=start
            )
        except InvalidTopUp as exc:
            form.add_error("amount", str(exc))
            return None
        done = claim.submission
    number = done.result_key
    # The payment service is called here, after the payment's transaction has committed.
    if Payment.objects.filter(number=number, status=PaymentStatus.PENDING).exists():
        return payment_pay(request, number)
    return redirect("panel:payment_detail", number=number)


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
            request, gettext("The payment service is not available now. Please try later.")
        )
        return redirect("panel:payment_detail", number=payment.number)
    if action.method == "POST":
        return render(request, "panel/payments/redirect.html", {"action": action})
    return redirect(action.url)
