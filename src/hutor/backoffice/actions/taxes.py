"""Staff adding and withdrawing the provider companies' tax rules: the taxes app's actions, each
with its audit entry in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.core.models import Provider
from hutor.taxes import actions as taxes
from hutor.taxes.exceptions import TaxRuleInvalid
from hutor.taxes.models import TaxRule

if TYPE_CHECKING:
    from hutor.accounts.models import User


def _rate(rate: Decimal | None) -> str | None:
    return None if rate is None else f"{rate.normalize():f}"


def add_tax_rule(
    *,
    staff: User,
    provider: Provider,
    regime: str,
    rate: Decimal | None,
    effective_from: dt.date,
    reason: str,
) -> TaxRule:
    """From `effective_from` on, the company's new documents carry this regime and rate."""
    require_reason(reason)
    try:
        with transaction.atomic():
            rule = taxes.add_rule(
                provider=provider, regime=regime, rate=rate, effective_from=effective_from
            )
            record(
                staff=staff,
                action="tax.rule_add",
                reason=reason,
                object_type="tax_rule",
                object_id=rule.pk,
                changes={
                    "regime": {"from": None, "to": regime},
                    "rate": {"from": None, "to": _rate(rate)},
                    "effective_from": {"from": None, "to": effective_from.isoformat()},
                    "company": {"from": None, "to": str(provider)},
                },
            )
    except TaxRuleInvalid as exc:
        raise DeskError(str(exc)) from exc
    return rule


def withdraw_tax_rule(*, staff: User, rule: TaxRule, reason: str) -> None:
    """Remove a rule that has not taken effect yet (one in force is history and stays)."""
    require_reason(reason)
    try:
        with transaction.atomic():
            record(
                staff=staff,
                action="tax.rule_withdraw",
                reason=reason,
                object_type="tax_rule",
                object_id=rule.pk,
                changes={
                    "regime": {"from": rule.regime, "to": None},
                    "rate": {"from": _rate(rule.rate), "to": None},
                    "effective_from": {"from": rule.effective_from.isoformat(), "to": None},
                    "company": {"from": str(rule.provider), "to": None},
                },
            )
            taxes.withdraw_rule(rule=rule)
    except TaxRuleInvalid as exc:
        raise DeskError(str(exc)) from exc
