"""The unmatched queue of bank payments: an accountant credits a line to the billing account it
belongs to, or marks it as no customer's (bank/actions.py imports and serves both)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.accounts.models import BillingAccount
from hutor.core.money import Money
from hutor.payments.bank.actions import (  # the shared crediting path
    BankActionRefused,
    _credit,
    _provider,
    _reference,
    _resolve,
    bank_method,
)
from hutor.payments.models import BankLineStatus, BankMatchRule, BankStatementLine

if TYPE_CHECKING:
    from hutor.accounts.models import User


def assign_line(
    *,
    line: BankStatementLine,
    billing_account: BillingAccount,
    reason: str,
    user: User | None = None,
) -> BankStatementLine:
    """Credit an unmatched (or dismissed) line to the billing account an accountant chose.

    Writes who, when and why on the line. Raises BankActionRefused (nothing changed) for a line
    that is not waiting, an empty reason or another currency."""
    reason = " ".join(reason.split())
    if not reason:
        raise BankActionRefused(_("say why this payment belongs to that billing account"))
    with transaction.atomic():
        line = BankStatementLine.objects.select_for_update().get(pk=line.pk)
        if line.status not in (BankLineStatus.UNMATCHED, BankLineStatus.NOT_OURS):
            raise BankActionRefused(
                _("line #%(line)s is %(status)s: only unmatched payments are assigned")
                % {"line": line.pk, "status": line.get_status_display().lower()}
            )
        if line.amount is None or not line.idempotency_key:  # pragma: no cover - by construction
            raise BankActionRefused(_("line #%(line)s has no amount to credit") % {"line": line.pk})
        if billing_account.currency != line.currency:
            raise BankActionRefused(
                _(
                    "billing account %(account)s keeps its balance in %(currency)s, the "
                    "payment is in %(paid)s"
                )
                % {
                    "account": billing_account.number,
                    "currency": billing_account.currency,
                    "paid": line.currency,
                }
            )
        payment, _note = _credit(
            billing_account=billing_account,
            money=Money(line.amount, line.currency),
            key=line.idempotency_key,
            reference=_reference(line),
            payer=line.payer_name or line.payer_inn or "?",
            settlement_account=line.recipient_account or _provider().settlement_account,
            method=bank_method(line.currency),
            user=user,
        )
        line.status = BankLineStatus.CREDITED
        line.billing_account = billing_account
        line.payment = payment
        line.match_rule = BankMatchRule.ASSIGNED
        _resolve(line, reason, user)
        line.save(
            update_fields=[
                "status",
                "billing_account",
                "payment",
                "match_rule",
                "resolved_by",
                "resolved_at",
                "resolution_reason",
            ]
        )
    return line


def mark_not_ours(
    *, line: BankStatementLine, reason: str, user: User | None = None
) -> BankStatementLine:
    """Take an unmatched line out of the queue: it is no customer's payment (the accountant
    returns it through the bank). Nothing is credited; the line can still be assigned later."""
    reason = " ".join(reason.split())
    if not reason:
        raise BankActionRefused(_("say why this payment is not ours"))
    with transaction.atomic():
        line = BankStatementLine.objects.select_for_update().get(pk=line.pk)
        if line.status != BankLineStatus.UNMATCHED:
            raise BankActionRefused(
                _("line #%(line)s is %(status)s: only unmatched payments are marked not ours")
                % {"line": line.pk, "status": line.get_status_display().lower()}
            )
        line.status = BankLineStatus.NOT_OURS
        _resolve(line, reason, user)
        line.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_reason"])
    return line
