"""Stripe Checkout (docs.stripe.com/payments/checkout): the payer is redirected to a Checkout
Session; Stripe then sends the `checkout.session.completed` event to /pay/<method>/result/.

Events are signed: `Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.body">`, checked by
the official library with the method's webhook signing secret and a 300-second tolerance. A
signed event is Stripe's word, so the session in it is taken as it stands: our payment number
(metadata, or the client reference id), `amount_total` in minor units and the currency, which
payments.actions then compares with the payment.

Settings: `secret_key` (sk_live_... or sk_test_...), `webhook_secret` (whsec_..., per webhook
endpoint), `api_base` (optional; tests point it at a local fake). Each call builds its own
`StripeClient`, so no key is ever set on the `stripe` module, where another method would see it.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.money import MINOR_UNITS, Money
from hutor.payments.exceptions import (
    NotificationIgnored,
    NotificationRejected,
    PaymentError,
    RefundUnanswered,
)
from hutor.payments.gateways.base import (
    GatewayPlugin,
    Incoming,
    Notification,
    RefundResult,
    StartAction,
)

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

    from hutor.payments.models import Payment, PaymentMethod, Refund

log = logging.getLogger("hutor.payments")

TOLERANCE = 300  # seconds a signed event stays acceptable: replays of older ones are refused
# A session is paid when it completes with payment_status "paid" (cards), or later, for
# payment methods that settle in days, with checkout.session.async_payment_succeeded.
CREDIT_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
NETWORK_RETRIES = 2  # the library retries with the same idempotency key


def client_for(method: PaymentMethod) -> stripe.StripeClient:
    secret_key = str(method.settings.get("secret_key") or "")
    if not secret_key:
        raise PaymentError(_("The payment method is not configured."))
    api_base = str(method.settings.get("api_base") or "")
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=NETWORK_RETRIES,
    )


def from_minor_units(units: Any, currency: Any) -> Money:
    """Stripe's integer amount in the currency's smallest unit (kopecks, cents) as Money."""
    if not isinstance(units, int) or isinstance(units, bool) or not isinstance(currency, str):
        raise NotificationRejected("malformed amount or currency")
    code = currency.upper()
    if code not in MINOR_UNITS:
        raise NotificationRejected("malformed amount or currency")
    return Money(Decimal(units).scaleb(-MINOR_UNITS[code]), code)


def description(payment: Payment) -> str:
    """The line item's name on Stripe's page. In the provider's language, not the request's: a
    retry must send the very same request, or Stripe refuses the reused idempotency key."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Top-up of billing account %(account)s, payment %(payment)s") % {
            "account": payment.billing_account.number,
            "payment": payment.number,
        }


def _open(payment: Payment) -> bool:
    from hutor.payments.models import PaymentStatus

    return payment.status == PaymentStatus.PENDING and payment.expires_at > clock.now()


class StripeGateway(GatewayPlugin):
    code = "stripe"
    supports_refunds = True

    def start(self, payment: Payment) -> StartAction:
        """Create a Checkout Session for the payment and send the payer to it. The idempotency
        key is the payment's, so opening the payment again within Stripe's 24 hours returns the
        same session instead of a second one."""
        if not _open(payment):
            # A closed payment is never offered again (a new session could be paid for a
            # payment that can no longer be credited).
            return StartAction(url=reverse("panel:payment_detail", args=[payment.number]))
        method = payment.method
        account_number = payment.billing_account.number
        query = f"?payment={payment.number}"
        base = settings.HUTOR_BASE_URL
        metadata = {"payment_number": payment.number, "billing_account": account_number}
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": payment.money.minor_units,
                        "product_data": {"name": description(payment)},
                    },
                }
            ],
            "client_reference_id": payment.number,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": base + reverse("payments:success", args=[method.slug]) + query,
            "cancel_url": base + reverse("payments:fail", args=[method.slug]) + query,
        }
        created = payment.created_at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S%f")
        try:
            session = client_for(method).v1.checkout.sessions.create(
                params=params,
                options={"idempotency_key": f"hutor-payment-{payment.number}-{created}"},
            )
        except stripe.StripeError as exc:
            log.warning(
                "Stripe did not start payment %s: %s (%s)",
                payment.number,
                type(exc).__name__,
                exc.code or exc.http_status,
            )
            raise PaymentError(
                _("The payment service is not available; try again in a few minutes.")
            ) from exc
        url = session.to_dict().get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise PaymentError(
                _("The payment service is not available; try again in a few minutes.")
            )
        return StartAction(url=url)

    def verify(self, method: PaymentMethod, incoming: Incoming) -> Notification:
        secret = str(method.settings.get("webhook_secret") or "")
        if not secret:
            raise NotificationRejected("the method has no webhook_secret")
        header = incoming.headers.get("Stripe-Signature", "")
        if not header:
            raise NotificationRejected("no Stripe-Signature header")
        try:
            event = client_for(method).construct_event(
                incoming.body, header, secret, tolerance=TOLERANCE
            )
        except stripe.SignatureVerificationError:
            # A wrong signature, a header that does not parse, or an event older than TOLERANCE.
            raise NotificationRejected("bad signature") from None
        except (UnicodeDecodeError, ValueError):
            raise NotificationRejected("malformed body") from None
        except (AttributeError, TypeError, KeyError):
            # Signed, but JSON that is not an event object (a number, a list): the library
            # assumes an object and fails on anything else.
            raise NotificationRejected("malformed event") from None
        except PaymentError:
            raise NotificationRejected("the method has no secret_key") from None
        data = event.to_dict()
        kind = data.get("type")
        if kind not in CREDIT_EVENTS:
            # Signed by Stripe, so genuine, but nothing Hutor acts on: answered 2xx (see
            # `rejected`), or Stripe would retry it for three days.
            raise NotificationIgnored(f"Stripe event {str(kind)[:60]}")
        session = (data.get("data") or {}).get("object")
        if not isinstance(session, dict):
            raise NotificationRejected("the event carries no session")
        if session.get("payment_status") != "paid":
            # checkout.session.completed for a payment that settles later: the money arrives
            # with checkout.session.async_payment_succeeded.
            raise NotificationIgnored("the session is not paid yet")
        metadata = session.get("metadata") or {}
        number = metadata.get("payment_number") if isinstance(metadata, dict) else None
        reference = session.get("client_reference_id")
        if number and reference and number != reference:
            raise NotificationRejected("the session's metadata and reference disagree")
        number = number or reference
        if not isinstance(number, str) or not number:
            raise NotificationRejected("the session carries no payment number")
        transaction = session.get("payment_intent") or session.get("id")
        if not isinstance(transaction, str) or not 0 < len(transaction) <= 100:
            raise NotificationRejected("the session carries no usable id")
        livemode = data.get("livemode")
        if not isinstance(livemode, bool):
            raise NotificationRejected("malformed event")
        return Notification(
            payment_number=number,
            transaction_id=transaction,
            amount=from_minor_units(session.get("amount_total"), session.get("currency")),
            paid=True,
            # A test-mode event for a live method is refused by payments.actions.
            test_mode=not livemode,
        )

    def rejected(self, reason: str) -> HttpResponse:
        """Stripe retries an event not answered 2xx for up to three days: right for a
        forgery (refused every time) and for a refusal that may pass later; wrong for a
        genuine event Hutor does not act on, which is answered 200."""
        if NotificationIgnored.is_ignored(reason):
            return HttpResponse("ignored", status=200, content_type="text/plain")
        return super().rejected(reason)

    def refund(self, refund: Refund) -> RefundResult:
        """Refund a credited payment, whole or in part (POST /v1/refunds with the
        payment_intent and an amount in minor units, docs.stripe.com/api/refunds/create),
        with the refund's own key as Stripe's Idempotency-Key: asking again returns the first
        answer. A refund Stripe already gave an id is looked up instead (GET /v1/refunds/{id},
        docs.stripe.com/api/refunds/retrieve)."""
        payment = refund.payment
        intent = payment.gateway_transaction_id or ""
        if not intent.startswith("pi_"):
            # Credited from a session without a payment intent: nothing Stripe can refund.
            return RefundResult(status="failed", failure_code="not_refundable")
        try:
            refunds = client_for(payment.method).v1.refunds
            if refund.gateway_refund_id:
                answer = refunds.retrieve(refund.gateway_refund_id).to_dict()
            else:
                answer = refunds.create(
                    params={"payment_intent": intent, "amount": refund.money.minor_units},
                    options={"idempotency_key": refund.idempotency_key},
                ).to_dict()
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as exc:
            log.warning(
                "Stripe did not answer refund of %s: %s", payment.number, type(exc).__name__
            )
            raise RefundUnanswered(type(exc).__name__) from exc
        except stripe.StripeError as exc:
            log.warning("Stripe refused refund of %s: %s", payment.number, exc.code)
            return RefundResult(
                status="failed",
                failure_code="refused",
                failure_params={"status": str(exc.http_status or ""), "code": str(exc.code or "")},
            )
        except PaymentError:
            return RefundResult(status="failed", failure_code="not_configured")
        refund_id = answer.get("id")
        if not isinstance(refund_id, str) or not refund_id:
            raise RefundUnanswered("Stripe's refund has no id")
        status = answer.get("status")
        if status == "succeeded":
            return RefundResult(status="succeeded", refund_id=refund_id)
        if status in {"failed", "canceled"}:
            reason = answer.get("failure_reason")
            return RefundResult(
                status="failed",
                refund_id=refund_id,
                failure_code="canceled",
                failure_params={"code": str(reason)[:60] if reason else ""},
            )
        # pending or requires_action: Stripe is still at it; asked again later.
        return RefundResult(status="pending", refund_id=refund_id)
