"""The payments app's events (core.events): a payment credited to a balance, or failed.

Published in the transaction that marks the payment, by both crediting paths (a payment
service's confirmation, payments.actions.credit_payment; a bank document, bank.actions._credit)
before the open invoices are settled, so a receiver sees the money arrive, then the invoices it
paid."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

from hutor.core.events import EventKind, publish
from hutor.payments.models import Payment

# Sent by payments.refunds in the transaction that records a refund as succeeded (sender=Refund,
# refund=<Refund>): the fiscal app queues its refund receipt there (hutor.fiscal.actions).
refund_succeeded = Signal()


def _data(payment: Payment) -> dict[str, Any]:
    return {
        "account": payment.billing_account.number,
        "payment": payment.number,
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method.slug,
        "invoice": payment.invoice.number if payment.invoice is not None else None,
        "completed_at": payment.completed_at,
    }


def credited(payment: Payment) -> None:
    data = _data(payment)
    data["entry"] = payment.credit_entry_id
    data["needs_review"] = [reason.get("code") for reason in payment.review_reasons or []]
    publish(EventKind.PAYMENT_CREDITED, billing_account=payment.billing_account, data=data)


def failed(payment: Payment) -> None:
    data = _data(payment)
    data["failure"] = payment.failure_reason
    publish(EventKind.PAYMENT_FAILED, billing_account=payment.billing_account, data=data)
