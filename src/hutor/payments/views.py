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
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hutor.core import addresses, clock
from hutor.invoices import links
from hutor.invoices.exceptions import ProviderNotConfigured
from hutor.ops.actions import record_refused_notification
from hutor.payments.actions import handle_notification, link_token, payment_link
from hutor.payments.bank import documents as bank_documents
from hutor.payments.exceptions import NotificationRejected, PaymentError
from hutor.payments.gateways import Incoming, demo, get_gateway
from hutor.payments.gateways.base import same_signature
from hutor.payments.models import Gateway, Payment, PaymentMethod, PaymentStatus
from hutor.payments.queries import enabled_method

log = logging.getLogger("hutor.payments")

# Bounds on what a notification may carry: a payment service's notification is a few
# kilobytes (a Stripe event, a YooKassa object) and each form field a short value; anything
# larger is refused with the gateway's error answer before any parsing or hashing.
MAX_NOTIFICATION_BODY = 256 * 1024  # bytes
MAX_FIELD = 4 * 1024  # characters of one form field's name or value


@csrf_exempt
@require_POST
def result(request: HttpRequest, slug: str) -> HttpResponse:
    method = enabled_method(slug)
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
            # Behind nginx the socket's peer is nginx: the gateways' address allow-lists
            # check the notifier's address as the trusted proxies forwarded it.
            remote_addr=addresses.client_address(request),
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
        record_refused_notification(method=slug, reason=exc.reason)
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
    payment = (
        Payment.objects.select_related("billing_account", "invoice")
        .filter(number=number, method__slug=slug)
        .first()
    )
    if payment is None or not _payer_of(request, payment):
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
    logged_in = request.user.is_authenticated and payment.billing_account.user_id == request.user.pk
    if logged_in:
        return redirect("panel:payment_detail", number=payment.number)
    # A payer who came through a signed link and never logged in: back to the invoice's public
    # page it was started from, or to the payment's link (which says whether it went through).
    if payment.invoice is not None:
        return redirect(links.public_path(payment.invoice))
    return redirect(payment_link(payment))


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


def _linked_payment(number: str, token: str) -> Payment:
    """The payment of a signed link; a wrong signature is a 404, like a payment that is not."""
    payment = (
        Payment.objects.select_related("method", "billing_account", "invoice")
        .filter(number=number)
        .first()
    )
    if payment is None or not same_signature(token, link_token(payment)):
        raise Http404("no such payment link")
    return payment


def pay_link(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """A payment link (from sales, or from an invoice's public page): goes on to the payment
    service, or shows a bank transfer's printable document; no login."""
    payment = _linked_payment(number, token)
    if payment.status != PaymentStatus.PENDING or payment.expires_at <= clock.now():
        return render(request, "payments/link_closed.html", {"payment": payment}, status=410)
    # The link proves the payer; remembered for the payment service's pages (the demo one).
    opened = request.session.get(SESSION_LINKS, [])
    if payment.number not in opened:
        request.session[SESSION_LINKS] = [*opened, payment.number][-20:]
    if payment.method.gateway == Gateway.BANK_TRANSFER:
        return _bank_document_page(request, payment, token)
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


def _bank_document_page(request: HttpRequest, payment: Payment, token: str) -> HttpResponse:
    """A bank transfer's printable document (PD-4 receipt or bill for payment) for whoever
    holds the payment's signed link: the customer pays it at a bank, no login needed."""
    try:
        html = bank_documents.render_html(payment, standalone=False)
    except ProviderNotConfigured as exc:
        raise Http404("the provider's requisites are not set") from exc
    return render(
        request,
        "payments/bank/page.html",
        {
            "payment": payment,
            "kind": bank_documents.document_kind(payment.billing_account),
            "title": _("Bank document for payment %(number)s") % {"number": payment.number},
            "document_html": html,  # rendered by our template: already safe
            "back_url": links.public_path(payment.invoice) if payment.invoice else "",
            "pdf_url": reverse("payments:pay_document_pdf", args=[payment.number, token]),
        },
    )


def pay_link_document_pdf(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """The PDF of a bank transfer's document, through the payment's signed link."""
    payment = _linked_payment(number, token)
    if payment.method.gateway != Gateway.BANK_TRANSFER:
        raise Http404("not a bank transfer")
    try:
        pdf = bank_documents.render_pdf(payment)
    except ProviderNotConfigured as exc:
        raise Http404("the provider's requisites are not set") from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{bank_documents.pdf_filename(payment)}"'
    return response
