from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.http import HttpResponse

from hutor.core.money import Money

if TYPE_CHECKING:
    from hutor.payments.models import Payment, PaymentMethod


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


class GatewayPlugin(abc.ABC):
    """One payment protocol. `verify` must check the signature and the method's own identity
    (purse, shop id) and raise NotificationRejected with a short reason otherwise; the caller
    then checks the payment itself (exists, this method, amount, currency, status)."""

    code: str
    # Whether the payer is sent to an external service (False: bank transfer, printed document).
    online: bool = True

    @abc.abstractmethod
    def start(self, payment: Payment) -> StartAction: ...

    @abc.abstractmethod
    def verify(
        self, method: PaymentMethod, data: Mapping[str, str], headers: Mapping[str, str]
    ) -> Notification: ...

    def accepted(self, notification: Notification) -> HttpResponse:
        """The answer the service expects when a notification is taken (or replayed)."""
        return HttpResponse("OK", content_type="text/plain")

    def rejected(self, reason: str) -> HttpResponse:
        return HttpResponse(f"ERROR {reason}", status=400, content_type="text/plain")
