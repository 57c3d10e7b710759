"""Support's work on tickets at the desk: each one the support app's action plus its audit
entry, in one transaction (the support app writes the ticket, the desk writes the audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.support import actions as support
from hutor.support.exceptions import SupportError

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User
    from hutor.support.files import Incoming
    from hutor.support.models import CannedAnswer, Ticket, TicketMessage


def _audit(staff: User, action: str, ticket: Ticket, **changes: object) -> None:
    # The reason of a ticket action is the ticket itself: its number, a code, never words.
    record(
        staff=staff,
        action=action,
        reason=ticket.number,
        billing_account=ticket.billing_account,
        object_type="ticket",
        object_id=ticket.number,
        changes=changes,
    )


def reply(
    *, staff: User, ticket: Ticket, text: str, attachments: list[Incoming] | None = None
) -> TicketMessage:
    """Answer the customer: shown in the panel and emailed (hutor.support.actions.staff_reply)."""
    try:
        with transaction.atomic():
            message = support.staff_reply(
                ticket=ticket, staff=staff, text=text, attachments=attachments
            )
            _audit(staff, "ticket.reply", ticket, message=message.pk)
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return message


def note(
    *, staff: User, ticket: Ticket, text: str, attachments: list[Incoming] | None = None
) -> TicketMessage:
    """An internal note on the ticket, for staff only."""
    try:
        with transaction.atomic():
            message = support.add_note(
                ticket=ticket, staff=staff, text=text, attachments=attachments
            )
            _audit(staff, "ticket.note", ticket, message=message.pk)
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return message


def assign(*, staff: User, ticket: Ticket, assignee: User | None) -> Ticket:
    before = ticket.assignee.email if ticket.assignee else None
    try:
        with transaction.atomic():
            changed = support.assign(ticket=ticket, assignee=assignee)
            _audit(
                staff,
                "ticket.assign",
                ticket,
                assignee={"from": before, "to": assignee.email if assignee else None},
            )
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return changed


def set_status(*, staff: User, ticket: Ticket, status: str) -> Ticket:
    before = ticket.status
    try:
        with transaction.atomic():
            changed = support.set_status(ticket=ticket, status=status)
            _audit(staff, "ticket.status", ticket, status={"from": before, "to": changed.status})
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return changed


def set_priority(*, staff: User, ticket: Ticket, priority: str) -> Ticket:
    before = ticket.priority
    try:
        with transaction.atomic():
            changed = support.set_priority(ticket=ticket, priority=priority)
            _audit(
                staff, "ticket.priority", ticket, priority={"from": before, "to": changed.priority}
            )
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return changed


def attach(*, staff: User, ticket: Ticket, account: BillingAccount) -> Ticket:
    """Put an unknown sender's (or an unverified) ticket on a billing account."""
    before = ticket.billing_account.number if ticket.billing_account else None
    try:
        with transaction.atomic():
            changed = support.attach_account(ticket=ticket, account=account)
            _audit(
                staff,
                "ticket.attach",
                changed,
                account={"from": before, "to": account.number},
                sender=changed.email,
                sender_verified=changed.sender_verified,
            )
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return changed


def verify(*, staff: User, ticket: Ticket) -> Ticket:
    """Record that the sender was checked to speak for the ticket's account."""
    try:
        with transaction.atomic():
            changed = support.verify_sender(ticket=ticket)
            _audit(
                staff,
                "ticket.verify",
                changed,
                sender=changed.email,
                sender_verified={"from": False, "to": True},
            )
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return changed


def merge(*, staff: User, ticket: Ticket, into: Ticket) -> Ticket:
    """Merge `ticket` into `into`; audited on the merged ticket, naming the one it joined."""
    try:
        with transaction.atomic():
            target = support.merge(source=ticket, target=into, staff=staff)
            _audit(staff, "ticket.merge", ticket, merged_into=target.number)
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return target


def save_canned(
    *, staff: User, answer: CannedAnswer | None, values: dict[str, object], reason: str
) -> CannedAnswer:
    """Write a new canned answer or change one (its texts recorded by their length)."""
    require_reason(reason)
    try:
        with transaction.atomic():
            saved, changes = support.save_canned(answer=answer, values=values)
            record(
                staff=staff,
                action="canned.save",
                reason=reason,
                object_type="canned_answer",
                object_id=saved.pk,
                changes=changes,
            )
    except SupportError as exc:
        raise DeskError(str(exc)) from exc
    return saved
