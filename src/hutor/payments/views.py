"""The addresses payment services talk to (see docs/payments.md).

/pay/<method>/result/   server-to-server notifications: the only place money is credited;
/pay/<method>/success/  and /fail/: the payer's browser coming back, for display only.
"""

from __future__ import annotations

import hmac
import logging
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hutor.core import clock
from hutor.payments.actions import handle_notification, link_token
from hutor.payments.exceptions import NotificationRejected, PaymentError
from hutor.payments.gateways import Incoming, demo, get_gateway
from hutor.payments.models import Payment, PaymentMethod, PaymentStatus

log = logging.getLogger("hutor.payments")


@csrf_exempt
@require_POST
def result(request: HttpRequest, slug: str) -> HttpResponse:
    method = PaymentMethod.objects.filter(slug=slug, is_enabled=True).first()
    if method is None:
        raise Http404("no such payment method")
    gateway = get_gateway(method.gateway)
    try:
        body = request.body  # read first: it is kept for protocols that sign the raw body
        incoming = Incoming(
            data={key: request.POST.get(key, "") for key in request.POST},
            headers=request.headers,
            body=body,
            remote_addr=request.META.get("REMOTE_ADDR", ""),
        )
    except (UnicodeDecodeError, ValueError):
        return gateway.rejected("malformed body")
    if gateway.is_prerequest(incoming):
        return gateway.prerequest(method, incoming)
    try:
        handled = handle_notification(method=method, incoming=incoming)
    except NotificationRejected as exc:
        # The reason is secret-free by construction; the data is not logged (it may hold keys).
        log.warning("payment notification refused (method %s): %s", slug, exc.reason)
        return gateway.rejected(exc.reason)
    log.info(
        "payment notification for %s accepted (credited now: %s)",
        handled.payment.number,
        handled.credited,
    )
    return gateway.accepted(handled.notification)


# Where each protocol puts our payment number when it sends the payer back.
RETURN_NUMBER_FIELDS = ("payment", "InvId", "LMI_PAYMENT_NO")


@csrf_exempt  # some services send the payer back with a POST; nothing here changes state
@require_http_methods(["GET", "POST"])
def browser_return(request: HttpRequest, slug: str, outcome: str) -> HttpResponse:
    """Where the payment service sends the payer back. Shows the payment; credits nothing."""
    params = request.GET if request.method == "GET" else request.POST
    number = next((params[f] for f in RETURN_NUMBER_FIELDS if params.get(f)), "")
    payment = Payment.objects.filter(number=number, method__slug=slug).first()
    mine = (
        payment is not None
        and request.user.is_authenticated
        and payment.billing_account.user_id == request.user.pk
    )
    if payment is None or not mine:
        return redirect("panel:home")
    n = {"n": payment.number}
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(request, _("Payment %(n)s is credited.") % n)
    elif outcome == "fail" or payment.status == PaymentStatus.FAILED:
        messages.error(request, _("Payment %(n)s did not go through.") % n)
    else:
        messages.info(
            request,
            _(
                "Payment %(n)s is being processed; the balance grows once the "
                "payment service confirms it."
            )
            % n,
        )
    return redirect("panel:payment_detail", number=payment.number)


# Payments whose signed link (pay_link) this browser session has opened: the payer may act on
# them on the demo payment page without logging in.
SESSION_LINKS = "hutor_payment_links"


def _payer_of(request: HttpRequest, payment: Payment) -> bool:
    """The visitor is the payment's owner: logged in as the login of its billing account, or
    came through the payment's signed link in this session."""
    if request.user.is_authenticated and payment.billing_account.user_id == request.user.pk:
        return True
    return payment.number in request.session.get(SESSION_LINKS, [])


@require_http_methods(["GET", "POST"])
def demo_payer(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    """The demo payment service's payment page, playing the payer's side.

    Only the payment's owner sees it and pays or declines (see _payer_of); to anyone else the
    payment does not exist, so nobody declines or pays another customer's pending payment.
    """
    method = get_object_or_404(PaymentMethod, slug=slug, gateway="demo", is_enabled=True)
    if not demo.enabled():
        raise Http404("the demo payment service is disabled")
    payment = get_object_or_404(
        Payment.objects.select_related("billing_account"), number=number, method=method
    )
    if not _payer_of(request, payment):
        raise Http404("no such payment")
    if request.method == "POST":
        paid = request.POST.get("outcome") == "pay"
        notification = {
            "payment": payment.number,
            "amount": f"{payment.amount:.2f}",
            "currency": payment.currency,
            "transaction": f"demo-{uuid.uuid4().hex[:16]}",
            "status": "paid" if paid else "declined",
        }
        notification["signature"] = demo.sign(method.settings.get("secret", ""), notification)
        # Delivered the way a real service does it: through the result handler's verification.
        try:
            handle_notification(method=method, incoming=Incoming(data=notification, headers={}))
        except NotificationRejected as exc:
            log.warning("demo notification refused: %s", exc.reason)
        outcome = "success" if paid else "fail"
        return redirect(f"/pay/{slug}/{outcome}/?payment={payment.number}")
    return render(request, "payments/demo_payer.html", {"payment": payment, "method": method})


def pay_link(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """A payment link sales sent to a customer: goes on to the payment service, no login."""
    payment = (
        Payment.objects.select_related("method", "billing_account").filter(number=number).first()
    )
    if payment is None or not hmac.compare_digest(token, link_token(payment)):
        raise Http404("no such payment link")
    if payment.status != PaymentStatus.PENDING or payment.expires_at <= clock.now():
        return render(request, "payments/link_closed.html", {"payment": payment}, status=410)
    # The link proves the payer; remembered for the payment service's pages (the demo one).
    opened = request.session.get(SESSION_LINKS, [])
    if payment.number not in opened:
        request.session[SESSION_LINKS] = [*opened, payment.number][-20:]
    try:
        action = get_gateway(payment.method.gateway).start(payment)
    except PaymentError:
        log.exception("starting payment %s from a payment link failed", payment.number)
        return render(
            request,
            "payments/link_closed.html",
            {"payment": payment, "unavailable": True},
            status=503,
        )
    if action.method == "POST":
        return render(request, "panel/payments/redirect.html", {"action": action})
    return redirect(action.url)
