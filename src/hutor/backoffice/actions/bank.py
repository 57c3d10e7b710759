"""Accountants' bank work: importing a statement and working the queue of incoming payments
nobody's yet, through the bank module's own actions (hutor.payments.bank.actions), each with
its audit entry in the same transaction. The desk passes the staff member; the `hutor bank`
commands pass their `--user`, or no staff and the named system actor (audit.command_actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.payments.bank import actions as bank_actions
from hutor.payments.exceptions import PaymentError
from hutor.payments.models import BankStatement, BankStatementLine

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User


def import_statement(
    *, staff: User | None, content: bytes, file_name: str, actor: str = ""
) -> BankStatement:
    """Import a 1CClientBankExchange file (matching and crediting what it can, queueing the
    rest) and audit the upload with its counts. A rejected file is recorded and audited too:
    nothing was read from it, and the report says why."""
    with transaction.atomic():
        statement = bank_actions.import_statement(
            content=content, file_name=file_name, uploaded_by=staff
        )
        record(
            staff=staff,
            actor=actor,
            action="bank.import",
            reason=file_name or "—",
            object_type="bank_statement",
            object_id=statement.pk,
            changes={
                "documents": statement.documents_count,
                "credited": statement.credited_count,
                "duplicates": statement.duplicate_count,
                "unmatched": statement.unmatched_count,
                "rejected_file": statement.is_rejected,
            },
        )
    return statement


def assign_line(
    *,
    staff: User | None,
    line: BankStatementLine,
    account: BillingAccount,
    reason: str,
    actor: str = "",
) -> BankStatementLine:
    """Credit an unmatched (or not-ours) payment to the billing account it belongs to."""
    reason = require_reason(reason)
    with transaction.atomic():
        try:
            done = bank_actions.assign_line(
                line=line, billing_account=account, reason=reason, user=staff
            )
        except PaymentError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action="bank.assign",
            reason=reason,
            billing_account=account,
            object_type="bank_line",
            object_id=done.pk,
            changes={
                "amount": done.money,
                "document": done.document_number,
                "payment": done.payment.number if done.payment else "",
            },
        )
    return done


def mark_not_ours(
    *, staff: User | None, line: BankStatementLine, reason: str, actor: str = ""
) -> BankStatementLine:
    """Take an unmatched payment out of the queue as no customer's (returned through the bank);
    nothing is credited, and it can still be assigned later."""
    reason = require_reason(reason)
    with transaction.atomic():
        try:
            done = bank_actions.mark_not_ours(line=line, reason=reason, user=staff)
        except PaymentError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action="bank.not_ours",
            reason=reason,
            object_type="bank_line",
            object_id=done.pk,
            changes={"amount": done.money, "document": done.document_number},
        )
    return done
