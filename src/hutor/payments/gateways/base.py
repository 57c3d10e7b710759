from __future__ import annotations

import abc
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.http import HttpResponse

from hutor.core.money import Money

if TYPE_CHECKING:
    from hutor.payments.models import Payment, PaymentMethod, Refund


@dataclass(frozen=True)
class StartAction:
    """Where the payer goes next: a redirect, or a form that submits itself to the service."""

    url: str
    method: str = "GET"
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A verified server-to-server notification: what the service says happened."""

    payment_number: str
    transaction_id: str
    amount: Money
    paid: bool  # False: the service reports the payment failed or was declined
    test_mode: bool = False


@dataclass(frozen=True)
class RefundResult:
    """The payment service's answer to a refund request."""

    status: str  # "succeeded", "pending" (the service is still at it) or "failed"
    refund_id: str = ""  # the service's id of the refund, once it has one
    # Why it failed: a code (payments.refunds.FAILURES) and its parameters, never a sentence.
    failure_code: str = ""
    failure_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Incoming:
    """A request from a payment service to /pay/<method>/result/, as received."""

    data: Mapping[str, str]  # form fields (or query parameters), decoded
    headers: Mapping[str, str]
    body: bytes = b""  # the raw body, for protocols that sign or send JSON
    remote_addr: str = ""


def same_signature(given: str, expected: str) -> bool:
    """Whether a received signature is the expected one, compared in constant time as UTF-8
    bytes: `hmac.compare_digest` raises on str with non-ASCII characters, and a forged field
    may hold anything, which must simply not match."""
    try:
        return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate (from JSON): not a signature
        return False


class GatewayPlugin(abc.ABC):
    """One payment protocol (one module in payments/gateways/).

    `verify` must check the signature and the method's own identity (purse, shop id, test
    mode) and raise NotificationRejected with a short, secret-free reason otherwise; the caller
    (payments.actions.handle_notification) then checks the payment itself: it exists, belongs
    to this method, is pending, and the amount and currency are the payment's.
    """

    code: str
    # Whether the payer is sent to an external service (False: bank transfer, printed document).
    online: bool = True
    # Whether a notification whose body does not decode in its declared charset (UTF-8 when
    # none is declared) is refused before `verify` (payments.views.result). Off only for a
    # protocol known to echo unsigned fields in another charset undeclared.
    strict_charset: bool = True

    @abc.abstractmethod
    def start(self, payment: Payment) -> StartAction:
        """Where to send the payer: a redirect URL or a self-submitting form (may call an API)."""

    @abc.abstractmethod
    def verify(self, method: PaymentMethod, incoming: Incoming) -> Notification:
        """Verify a server-to-server notification; raise NotificationRejected otherwise."""

    def is_prerequest(self, incoming: Incoming) -> bool:
        """Whether this is a pre-request (WebMoney asks before taking the payer's money)."""
        return False

    def prerequest(self, method: PaymentMethod, incoming: Incoming) -> HttpResponse:
        raise NotImplementedError

    def accepted(self, notification: Notification) -> HttpResponse:
        """The answer the service expects when a notification is taken (or replayed)."""
        return HttpResponse("OK", content_type="text/plain")

    def rejected(self, reason: str) -> HttpResponse:
        """The protocol's error answer; `reason` is short and holds no secrets."""
        return HttpResponse(f"ERROR {reason}", status=400, content_type="text/plain")

    # Optional abilities; a gateway that has them overrides these.
    supports_refunds = False

    def refund(self, refund: Refund) -> RefundResult:
        """Ask the service to refund `refund.money` of `refund.payment`, sending
        `refund.idempotency_key` as the service's idempotency key, so that asking again (after
        a timeout, by the worker) returns the first answer instead of refunding twice; with
        `refund.gateway_refund_id` known, the service may be asked for that refund's state
        instead. Raise RefundUnanswered when the service gave no answer (timeout, network,
        5xx): the refund stays pending and is asked again. Called outside any transaction
        (payments.refunds.send_refund), never while a row is locked."""
        raise NotImplementedError(f"{self.code} cannot refund through the service")
