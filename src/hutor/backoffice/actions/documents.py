"""Closing documents at the desk: a month closed again for one account (audited)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.documents import actions as closing
from hutor.documents.models import ClosingDocument

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User


def regenerate_month(
    *, staff: User, account: BillingAccount, month: dt.date, reason: str
) -> list[ClosingDocument]:
    """Close `month` again for the account: its first act / УПД when it has none, a correction
    document when what was rendered has changed since the last one, nothing otherwise (an
    issued document is never edited); one per provider company that served it. The audit
    entry says which."""
    require_reason(reason)
    with transaction.atomic():
        documents = closing.close_account(account, month)
        first = documents[0] if documents else None
        record(
            staff=staff,
            action="documents.regenerate_month",
            reason=reason,
            billing_account=account,
            object_type="closing_document" if first is not None else "",
            object_id=first.pk if first is not None else "",
            changes={
                "month": f"{month:%Y-%m}",
                "closing_document": (
                    ", ".join(f"{d.number}/{d.year}" for d in documents) if documents else None
                ),
                "correction": first.correction if first is not None else None,
            },
        )
    return documents
