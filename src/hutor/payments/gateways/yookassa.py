"""YooKassa API v3 (yookassa.ru/developers): the payer is redirected to YooKassa's payment page;
YooKassa then notifies /pay/<method>/result/.

YooKassa does not sign its notifications. A notification is therefore only a hint that a
payment changed: it must come from one of YooKassa's addresses, and everything acted on (the
status, the amount, the currency, our payment number in the metadata, the test flag) is read
back from `GET /payments/{id}` with the method's own credentials, never from the notification.
A forged notification names a payment the API does not know (refused), or a real payment
whose real state is what gets credited.

Settings: `shop_id`, `secret_key`, `api_base` (default https://api.yookassa.ru/v3/),
`allowed_ips` (CIDRs the notifications may come from; default YooKassa's published list; an
empty list switches the check off, for a proxy that checks the address itself).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import ipaddress
import json
import logging
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.money import InvalidAmount, Money
from hutor.payments.exceptions import (
    NotificationIgnored,
    NotificationRejected,
    PaymentError,
    RefundUnanswered,
)
from hutor.payments.gateways import yookassa_receipt
from hutor.payments.gateways.base import (
    GatewayPlugin,
    Incoming,
    Notification,
    RefundResult,
    StartAction,
)

if TYPE_CHECKING:
    from hutor.payments.models import Payment, PaymentMethod, Refund

log = logging.getLogger("hutor.payments")

DEFAULT_API_BASE = "https://api.yookassa.ru/v3/"
# Where YooKassa sends notifications from (yookassa.ru/developers/using-api/webhooks).
OFFICIAL_NOTIFIER_NETWORKS = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.154.128/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "2a02:5180::/32",
)
TIMEOUT = 15  # seconds; the payer (in start) or YooKassa (in verify) is waiting
MAX_RESPONSE = 1_000_000  # bytes; a payment object is a few kilobytes
# YooKassa payment ids are UUID-like; anything else never reaches a URL path.
PAYMENT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
EVENT_NAME = re.compile(r"[a-z_.]{1,50}")
# Events that report a payment's final state; the status itself is read from the API.
PAYMENT_EVENTS = {"payment.succeeded", "payment.canceled"}
IDEMPOTENCE_NAMESPACE = uuid.UUID("0a6f9d0e-5a53-4b8e-9f0c-6b7d2d1c7a11")


class YooKassaError(Exception):
    """The API could not be reached, refused the request or answered something unreadable."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        self.status = status  # the HTTP status when the API answered one
        self.code = code  # YooKassa's error code ("invalid_request"...), when it gave one
        super().__init__(message)


class YooKassaClient:
    """A small client of YooKassa API v3: JSON over HTTPS, HTTP Basic shop id:secret key."""

    def __init__(self, *, shop_id: str, secret_key: str, api_base: str = DEFAULT_API_BASE) -> None:
        if not shop_id or not secret_key:
            raise YooKassaError("the method has no shop_id or secret_key")
        if urlsplit(api_base).scheme not in {"https", "http"}:
            raise YooKassaError("api_base is not an http(s) URL")
        self.api_base = api_base if api_base.endswith("/") else api_base + "/"
        credentials = base64.b64encode(f"{shop_id}:{secret_key}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"

    @classmethod
    def for_method(cls, method: PaymentMethod) -> YooKassaClient:
        options = method.settings
        return cls(
            shop_id=str(options.get("shop_id") or ""),
            secret_key=str(options.get("secret_key") or ""),
            api_base=str(options.get("api_base") or DEFAULT_API_BASE),
        )

    def create_payment(self, body: dict[str, Any], *, idempotence_key: str) -> dict[str, Any]:
        return self._call("POST", "payments", body, idempotence_key)

    def get_payment(self, payment_id: str) -> dict[str, Any]:
        if not PAYMENT_ID.fullmatch(payment_id):
            raise YooKassaError("malformed payment id")
        return self._call("GET", f"payments/{quote(payment_id, safe='')}")

    def create_refund(self, body: dict[str, Any], *, idempotence_key: str) -> dict[str, Any]:
        return self._call("POST", "refunds", body, idempotence_key)

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        if not PAYMENT_ID.fullmatch(refund_id):
            raise YooKassaError("malformed refund id")
        return self._call("GET", f"refunds/{quote(refund_id, safe='')}")

    def _call(
        self,
        verb: str,
        path: str,
        body: dict[str, Any] | None = None,
        idempotence_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": self._authorization, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idempotence_key:
            headers["Idempotence-Key"] = idempotence_key
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            self.api_base + path, data=data, headers=headers, method=verb
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                raw = response.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            code = _error_code(exc)
            exc.close()
            raise YooKassaError(
                f"the API answered HTTP {exc.code}" + (f" ({code})" if code else ""),
                status=exc.code,
                code=code,
            ) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            raise YooKassaError("the API did not answer") from exc
        if len(raw) > MAX_RESPONSE:
            raise YooKassaError("the API's answer is too large")
        try:
            answer = json.loads(raw)
        except ValueError:
            raise YooKassaError("the API's answer is not JSON") from None
        if not isinstance(answer, dict):
            raise YooKassaError("the API's answer is not an object")
        return answer


def _error_code(exc: urllib.error.HTTPError) -> str:
    """YooKassa's error `code` ("invalid_credentials", "not_found"...), for the log."""
    try:
        code = json.loads(exc.read(10_000)).get("code", "")
    except (ValueError, AttributeError, OSError):
        return ""
    return code if isinstance(code, str) and EVENT_NAME.fullmatch(code) else ""


def idempotence_key(payment: Payment, purpose: str = "payment") -> str:
    """The same key for every start of one payment, so a retry (a double click, the payment
    page opened again) gets YooKassa's first answer back instead of a second payment. The
    creation time keeps keys apart between installations that share a shop and reuse numbers."""
    created = payment.created_at.astimezone(dt.UTC).isoformat()
    return str(uuid.uuid5(IDEMPOTENCE_NAMESPACE, f"{purpose}:{payment.number}:{created}"))


def description(payment: Payment) -> str:
    """What the payer and the shop's dashboard see. In the provider's language, not the
    request's: a retry must send the very same request, or the API refuses the reused key."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Top-up of billing account %(account)s, payment %(payment)s") % {
            "account": payment.billing_account.number,
            "payment": payment.number,
        }


def notifier_address(incoming: Incoming) -> str:
    """The address a notification came from: behind reverse proxies (HUTOR_TRUSTED_PROXY_COUNT)
    the address the outermost trusted proxy saw, as the result view resolved it
    (core.addresses); the X-Forwarded-For entries to its left are the sender's to invent."""
    return incoming.remote_addr


def address_allowed(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def _open(payment: Payment) -> bool:
    from hutor.payments.models import PaymentStatus

    return payment.status == PaymentStatus.PENDING and payment.expires_at > clock.now()


def _money(value: Any) -> Money:
    if not isinstance(value, Mapping):
        raise NotificationRejected("malformed amount")
    try:
        return Money(str(value.get("value", "")), str(value.get("currency", "")))
    except InvalidAmount as exc:
        raise NotificationRejected("malformed amount or currency") from exc


class YooKassaGateway(GatewayPlugin):
    code = "yookassa"
    supports_refunds = True

    def start(self, payment: Payment) -> StartAction:
        """Create the payment at YooKassa (once: see `idempotence_key`) and send the payer to
        its confirmation page. Nothing is stored: the notification's API object carries our
        payment number in its metadata, and the YooKassa id is recorded when it is credited."""
        if not _open(payment):
            # A closed payment is never offered again: after the key's 24 hours a second
            # YooKassa payment could be created and paid for a payment that can no longer be
            # credited.
            return StartAction(url=reverse("panel:payment_detail", args=[payment.number]))
        method = payment.method
        account_number = payment.billing_account.number
        return_path = reverse("payments:success", args=[method.slug])
        body = {
            "amount": {"value": f"{payment.money.rounded().amount}", "currency": payment.currency},
            "capture": True,
            "confirmation": {
                "type": "redirect",
                "return_url": f"{settings.HUTOR_BASE_URL}{return_path}?payment={payment.number}",
            },
            "description": description(payment)[:128],
            "metadata": {"payment_number": payment.number, "billing_account": account_number},
        }
        if yookassa_receipt.wanted(payment):
            body["receipt"] = yookassa_receipt.receipt(payment, payment.money)
        try:
            created = YooKassaClient.for_method(method).create_payment(
                body, idempotence_key=idempotence_key(payment)
            )
        except YooKassaError as exc:
            log.warning("YooKassa did not start payment %s: %s", payment.number, exc)
            raise PaymentError(
                _("The payment service is not available; try again in a few minutes.")
            ) from exc
        confirmation = created.get("confirmation")
        url = confirmation.get("confirmation_url") if isinstance(confirmation, dict) else None
        if not isinstance(url, str) or urlsplit(url).scheme not in {"https", "http"}:
            log.warning("YooKassa gave payment %s no confirmation URL", payment.number)
            raise PaymentError(
                _("The payment service is not available; try again in a few minutes.")
            )
        return StartAction(url=url)

    def verify(self, method: PaymentMethod, incoming: Incoming) -> Notification:
        networks = method.settings.get("allowed_ips", OFFICIAL_NOTIFIER_NETWORKS)
        if not isinstance(networks, list | tuple):
            raise NotificationRejected("the method's allowed_ips setting is not a list")
        try:
            allowed = not networks or address_allowed(notifier_address(incoming), networks)
        except (TypeError, ValueError) as exc:
            raise NotificationRejected("the method's allowed_ips setting is invalid") from exc
        if not allowed:
            raise NotificationRejected("the notification came from an address not allowed")
        try:
            data = json.loads(incoming.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise NotificationRejected("malformed body") from None
        if not isinstance(data, dict) or data.get("type") != "notification":
            raise NotificationRejected("not a YooKassa notification")
        event = data.get("event")
        claimed = data.get("object")
        if not isinstance(event, str) or not isinstance(claimed, dict):
            raise NotificationRejected("not a YooKassa notification")
        if event not in PAYMENT_EVENTS:
            # Genuine or not, it asks nothing of us (refunds are Hutor's own doing; capture is
            # automatic): answered 200 so that YooKassa does not redeliver it for a day.
            shown = event if EVENT_NAME.fullmatch(event) else "an unknown event"
            raise NotificationIgnored(f"YooKassa {shown}")
        payment_id = claimed.get("id")
        if not isinstance(payment_id, str) or not PAYMENT_ID.fullmatch(payment_id):
            raise NotificationRejected("malformed payment id")
        try:
            fetched = YooKassaClient.for_method(method).get_payment(payment_id)
        except YooKassaError as exc:
            if exc.status == 404:
                raise NotificationRejected("YooKassa does not know this payment") from None
            # Refused, not guessed: YooKassa redelivers a notification that was not answered
            # 200, so it is taken once the API answers again (see `rejected`).
            log.warning("YooKassa API check failed for %s: %s", payment_id, exc)
            raise NotificationRejected("the YooKassa API could not confirm the payment") from None
        return self._notification(claimed, fetched)

    @staticmethod
    def _notification(claimed: Mapping[str, Any], fetched: Mapping[str, Any]) -> Notification:
        """What the API says about the payment; the notification's own copy may only agree."""
        if fetched.get("id") != claimed.get("id"):
            raise NotificationRejected("the API answered about another payment")
        status = fetched.get("status")
        if status == "succeeded" and fetched.get("paid") is True:
            paid = True
        elif status == "canceled":
            paid = False
        else:
            # pending or waiting_for_capture: not final yet; refused, so it comes again.
            raise NotificationRejected("the payment is not final at YooKassa")
        metadata = fetched.get("metadata")
        number = metadata.get("payment_number") if isinstance(metadata, dict) else None
        if not isinstance(number, str) or not number:
            raise NotificationRejected("the payment carries no Hutor payment number")
        amount = _money(fetched.get("amount"))
        # A genuine notification carries a copy of the same object; one that differs was
        # made up or tampered with, and is refused rather than quietly corrected.
        claimed_metadata = claimed.get("metadata")
        claimed_number = (
            claimed_metadata.get("payment_number", number)
            if isinstance(claimed_metadata, dict)
            else number
        )
        if claimed_number != number or (
            "amount" in claimed and _money(claimed["amount"]) != amount
        ):
            raise NotificationRejected("the notification disagrees with the API")
        return Notification(
            payment_number=number,
            transaction_id=str(fetched["id"]),
            amount=amount,
            paid=paid,
            test_mode=fetched.get("test") is True,
        )

    def accepted(self, notification: Notification) -> HttpResponse:
        return HttpResponse(status=200)

    def rejected(self, reason: str) -> HttpResponse:
        """YooKassa redelivers any notification not answered 200, for 24 hours. That is what
        Hutor wants for everything it refuses: a forgery is refused on every delivery at no
        cost, and a genuine notification refused for a transient reason (the API check failed,
        the payment not final yet) is taken on a later delivery. Only notifications about
        events Hutor ignores are answered 200."""
        if NotificationIgnored.is_ignored(reason):
            return HttpResponse(status=200)
        return super().rejected(reason)

    def refund(self, refund: Refund) -> RefundResult:
        """Refund a credited payment, whole or in part (POST /refunds,
        yookassa.ru/developers/api#create_refund). The Idempotence-Key is the refund's own key,
        so asking again returns YooKassa's first answer; two refunds (two keys) are two refunds.
        A refund YooKassa already gave an id is looked up instead (GET /refunds/{id}): its
        status moves from pending to succeeded or canceled there."""
        payment = refund.payment
        if not payment.gateway_transaction_id:
            return RefundResult(status="failed", failure_code="not_refundable")
        try:
            client = YooKassaClient.for_method(payment.method)
        except YooKassaError:
            return RefundResult(status="failed", failure_code="not_configured")
        try:
            if refund.gateway_refund_id:
                answer = client.get_refund(refund.gateway_refund_id)
            else:
                money = refund.money.rounded()
                body = {
                    "payment_id": payment.gateway_transaction_id,
                    "amount": {"value": f"{money.amount}", "currency": money.currency},
                }
                if yookassa_receipt.wanted(payment):
                    body["receipt"] = yookassa_receipt.receipt(payment, money)
                answer = client.create_refund(body, idempotence_key=refund.idempotency_key)
        except YooKassaError as exc:
            log.warning("YooKassa did not refund payment %s: %s", payment.number, exc)
            # No answer, YooKassa's own error or "too many requests": the same key asks again.
            if exc.status is None or exc.status >= 500 or exc.status == 429:
                raise RefundUnanswered(str(exc)) from exc
            return RefundResult(
                status="failed",
                failure_code="refused",
                failure_params={"status": str(exc.status), "code": exc.code},
            )
        refund_id = answer.get("id")
        status = answer.get("status")
        if not isinstance(refund_id, str) or not PAYMENT_ID.fullmatch(refund_id):
            raise RefundUnanswered("the API's refund has no id")
        if status == "succeeded":
            return RefundResult(status="succeeded", refund_id=refund_id)
        if status == "canceled":
            details = answer.get("cancellation_details")
            reason = details.get("reason") if isinstance(details, dict) else None
            shown = reason if isinstance(reason, str) and EVENT_NAME.fullmatch(reason) else ""
            return RefundResult(
                status="failed",
                refund_id=refund_id,
                failure_code="canceled",
                failure_params={"code": shown},
            )
        return RefundResult(status="pending", refund_id=refund_id)
