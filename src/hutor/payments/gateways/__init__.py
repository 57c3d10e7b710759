"""Payment service plugins, one module per protocol, registered by gateway code."""

from __future__ import annotations

from hutor.payments.gateways.bank_transfer import BankTransferGateway
from hutor.payments.gateways.base import (
    GatewayPlugin,
    Incoming,
    Notification,
    RefundResult,
    StartAction,
)
from hutor.payments.gateways.demo import DemoGateway
from hutor.payments.gateways.robokassa import RobokassaGateway
from hutor.payments.gateways.stripe import StripeGateway
from hutor.payments.gateways.webmoney import WebMoneyGateway, ZPaymentGateway
from hutor.payments.gateways.yookassa import YooKassaGateway

GATEWAYS: dict[str, type[GatewayPlugin]] = {
    DemoGateway.code: DemoGateway,
    BankTransferGateway.code: BankTransferGateway,
    YooKassaGateway.code: YooKassaGateway,
    StripeGateway.code: StripeGateway,
    RobokassaGateway.code: RobokassaGateway,
    WebMoneyGateway.code: WebMoneyGateway,
    ZPaymentGateway.code: ZPaymentGateway,
}


def get_gateway(code: str) -> GatewayPlugin:
    try:
        return GATEWAYS[code]()
    except KeyError:
        raise LookupError(f"unknown payment gateway {code!r}") from None


__all__ = [
    "GATEWAYS",
    "GatewayPlugin",
    "Incoming",
    "Notification",
    "RefundResult",
    "StartAction",
    "get_gateway",
]
