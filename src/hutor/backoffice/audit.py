"""Writing the audit log: one entry per desk action, inside the action's own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext as _

from hutor.backoffice.exceptions import ReasonRequired
from hutor.backoffice.models import AuditEntry
from hutor.core import clock
from hutor.core.money import Money

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("Say why: a reason is required for every desk action."))
    return reason


def plain(value: Any) -> Any:
    """A JSON-safe form of a value for the changes of an audit entry."""
    if isinstance(value, Money):
        money = value.rounded()
        return f"{money.amount} {money.currency}"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """{"field": {"from": old, "to": new}} for every field whose value changed."""
    return {
        name: {"from": plain(before.get(name)), "to": plain(after.get(name))}
        for name in after
        if plain(before.get(name)) != plain(after.get(name))
    }


def record(
    *,
    staff: User,
    action: str,
    reason: str,
    billing_account: BillingAccount | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append an audit entry; call it inside the action's transaction."""
    return AuditEntry.objects.create(
        staff=staff,
        action=action,
        reason=require_reason(reason),
        billing_account=billing_account,
        object_type=object_type,
        object_id=str(object_id),
        changes=plain(dict(changes or {})),
        created_at=clock.now(),
    )
