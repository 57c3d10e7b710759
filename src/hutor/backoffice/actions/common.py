"""What the desk's money actions share: amount checks and the one-time form token."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from hutor.backoffice.exceptions import DeskError
from hutor.core.money import Money

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount


def positive_amount(amount: Money, account: BillingAccount) -> Money:
    """The amount, if it is positive, rounded and in the account's currency."""
    if amount.currency != account.currency:
        raise DeskError(
            _("The billing account is kept in %(currency)s.") % {"currency": account.currency}
        )
    if amount.rounded() != amount or not amount.is_positive():
        raise DeskError(_("Enter a positive amount with at most two digits after the point."))
    return amount


def form_token(token: str | None) -> str:
    """The form's one-time token (for idempotency keys), or a fresh one for a call from code."""
    return token or uuid.uuid4().hex
