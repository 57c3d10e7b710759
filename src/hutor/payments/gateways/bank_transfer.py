"""Bank transfer: the payer gets a printable document; the money arrives by bank statement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from hutor.payments.exceptions import NotificationRejected
from hutor.payments.gateways.base import GatewayPlugin, Incoming, Notification, StartAction

if TYPE_CHECKING:
    from hutor.payments.models import Payment, PaymentMethod


class BankTransferGateway(GatewayPlugin):
    code = "bank_transfer"
    online = False

    def start(self, payment: Payment) -> StartAction:
        # The payment's page: its number, amount and status, with the links to print its bank
        # document (PD-4 receipt or bill for payment) and to download it as PDF (S5).
        return StartAction(url=reverse("panel:payment_detail", args=[payment.number]))

    def verify(self, method: PaymentMethod, incoming: Incoming) -> Notification:
        raise NotificationRejected("bank transfers are credited from bank statements")
