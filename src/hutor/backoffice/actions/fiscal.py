"""Staff's action on 54-ФЗ receipts: a failed receipt sent to the operator again ("retry
now"), through the fiscal app's own action, with its audit entry in the same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.fiscal import actions as fiscal
from hutor.fiscal.models import FiscalReceipt

if TYPE_CHECKING:
    from hutor.accounts.models import User


def retry_receipt(*, staff: User, receipt: FiscalReceipt, reason: str) -> FiscalReceipt:
    """Queue a failed receipt for the worker at once (a new external_id when the operator
    itself failed it: see fiscal.actions.retry_now)."""
    require_reason(reason)
    payment = receipt.payment
    try:
        with transaction.atomic():
            done = fiscal.retry_now(receipt=receipt)
            record(
                staff=staff,
                action="fiscal.retry",
                reason=reason,
                billing_account=payment.billing_account,
                object_type="payment",
                object_id=payment.number,
                changes={"receipt": done.pk, "external_id": done.external_id},
            )
    except fiscal.ReceiptError as exc:
        raise DeskError(str(exc)) from exc
    return done
