"""The addresses payment services talk to (see docs/payments.md).

/pay/<method>/result/   server-to-server notifications: the only place money is credited;
/pay/<method>/success/  and /fail/: the payer's browser coming back, for display only.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hutor.core import clock
from hutor.payments.actions import handle_notification, link_token
from hutor.payments.exceptions import NotificationRejected, PaymentError
from hutor.payments.gateways import Incoming, demo, get_gateway
from hutor.payments.gateways.base import same_signature
from hutor.payments.models import Payment, PaymentMethod, PaymentStatus

log = logging.getLogger("hutor.payments")

# Bounds on what a notification may carry: a payment service's notification is a few
# kilobytes (a Stripe event, a YooKassa object) and each form field a short value; anything
# larger is refused with the gateway's error answer before any parsing or hashing.
MAX_NOTIFICATION_BODY = 256 * 1024  # bytes
MAX_FIELD = 4 * 1024  # characters of one form field's name or value


@csrf_exempt
@require_POST
def result(request: HttpRequest, slug: str) -> HttpResponse:
    method = PaymentMethod.objects.filter(slug=slug, is_enabled=True).first()
    if method is None:
        raise Http404("no such payment method")
    gateway = get_gateway(method.gateway)
    try:
        body = request.body  # read first: it is kept for protocols that sign the raw body
        if len(body) > MAX_NOTIFICATION_BODY:
            return gateway.rejected("body too large")
        if gateway.strict_charset and not decodes(body, request):
            return gateway.rejected("malformed body")
        data = {key: request.POST.get(key, "") for key in request.POST}
        incoming = Incoming(
            data=data,
            headers=request.headers,
            body=body,
            remote_addr=request.META.get("REMOTE_ADDR", ""),
        )
    except RequestDataTooBig:
        return gateway.rejected("body too large")
    except (UnicodeDecodeError, ValueError, MultiPartParserError, SuspiciousOperation, BadRequest):
        # BadRequest: Django takes form bodies only in UTF-8, whatever charset they declare.
        return gateway.rejected("malformed body")
    if any(len(key) > MAX_FIELD or len(value) > MAX_FIELD for key, value in data.items()):
        return gateway.rejected("field too long")
    # No protocol sends a NUL character, and PostgreSQL refuses one in any text it is asked to
    # look up (a payment number), so it never gets that far: raw, percent-escaped or as JSON's
    # escape.
    if b"\x00" in body or b"\\u0000" in body or any("\x00" in k + v for k, v in data.items()):
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


def decodes(body: bytes, request: HttpRequest) -> bool:
    """Whether a notification's body is text in its declared charset (UTF-8 when none is
    declared), percent-escapes of a form body included. Django itself reads undecodable bytes
    as replacement characters; a notification is refused instead (nothing a service signs
    should need them)."""
    charset = request.encoding or settings.DEFAULT_CHARSET
    try:
        text = body.decode(charset)
        if request.content_type == "application/x-www-form-urlencoded":
            parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict")
    except (UnicodeDecodeError, LookupError, ValueError):
        return False
    return True


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


@require_http_methods(["GET", "POST"])
def demo_payer(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    """The demo payment service's payment page, playing the payer's side."""
    method = get_object_or_404(PaymentMethod, slug=slug, gateway="demo", is_enabled=True)
    if not demo.enabled():
        raise Http404("the demo payment service is disabled")
    payment = get_object_or_404(Payment, number=number, method=method)
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
    if payment is None or not same_signature(token, link_token(payment)):
        raise Http404("no such payment link")
    if payment.status != PaymentStatus.PENDING or payment.expires_at <= clock.now():
        return render(request, "payments/link_closed.html", {"payment": payment}, status=410)
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
