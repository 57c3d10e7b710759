"""The demo payment service built into Hutor, so a top-up can be paid end to end offline.

The payer's page (`/pay/<method>/demo/<payment>/`) plays the payment service: "Pay" makes it
send a notification signed with HMAC-SHA256 over `payment|amount|currency|transaction|status`
with the method's secret, through the same verification and crediting as a real service.
Refused when DEBUG is off unless HUTOR_DEMO_PAYMENTS is set. The page is the payment's owner's
only: the customer logged in to its billing account, or a visitor who came through the
payment's signed link (`hutor payments new`) in the same browser session; to anyone else it is
a 404 and nothing changes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse

from hutor.core.money import InvalidAmount, Money
from hutor.payments.exceptions import NotificationRejected
from hutor.payments.gateways.base import (
    GatewayPlugin,
    Incoming,
    Notification,
    StartAction,
    same_signature,
)

if TYPE_CHECKING:
    from hutor.payments.models import Payment, PaymentMethod

FIELDS = ("payment", "amount", "currency", "transaction", "status")
# The amount as the demo service writes it: "1500.00".
WIRE_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?", re.ASCII)


def sign(secret: str, data: Mapping[str, str]) -> str:
    message = "|".join(str(data.get(name, "")) for name in FIELDS)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def enabled() -> bool:
    return bool(settings.DEBUG or settings.HUTOR_DEMO_PAYMENTS)


class DemoGateway(GatewayPlugin):
    code = "demo"

    def start(self, payment: Payment) -> StartAction:
        return StartAction(
            url=reverse("payments:demo_payer", args=[payment.method.slug, payment.number])
        )

    def verify(self, method: PaymentMethod, incoming: Incoming) -> Notification:
        if not enabled():
            raise NotificationRejected("the demo payment service is disabled")
        data = incoming.data
        secret = method.settings.get("secret", "")
        if not secret:
            raise NotificationRejected("the method has no secret")
        given = data.get("signature", "")
        if not same_signature(given, sign(secret, data)):
            raise NotificationRejected("bad signature")
        text = data.get("amount", "")
        if not WIRE_AMOUNT.fullmatch(text):  # ASCII digits only: Decimal would read "١٢٣"
            raise NotificationRejected("malformed amount or currency")
        try:
            # An empty currency would be Money's default one: the notification must name it.
            amount = Money(text, data.get("currency") or "?")
        except InvalidAmount as exc:
            raise NotificationRejected("malformed amount or currency") from exc
        if not data.get("payment") or not data.get("transaction"):
            raise NotificationRejected("payment and transaction are required")
        return Notification(
            payment_number=data["payment"],
            transaction_id=data["transaction"],
            amount=amount,
            paid=data.get("status") == "paid",
            test_mode=True,
        )
