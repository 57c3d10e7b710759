"""Email into tickets: one received message becomes a new ticket or a reply in an old one.

- **Threading**: by the headers first (In-Reply-To and References naming a ticket's root id
  `<ticket-T-10001@hutor>`, a reply email of the outbox `<hutor-outbox-N@hutor>`, or an
  earlier inbound message), then by a ticket number in the subject ("Re: [T-10001] ..."). Both
  are forgeable, so a message joins a ticket only when its sender is the ticket's own address
  (the account's contact email or login, or the sender who opened it); otherwise it opens a
  ticket of its own.
- **The account**: the billing account whose contact email or login is the sender. For an
  unknown sender, the numbers and domains the subject and text quote, looked up by the desk's
  own search (backoffice.search.accounts_in_text, handed to this module by the desk when it
  starts: support sits below the desk and never imports it): when they lead to exactly one
  account, the ticket opens on it marked "sender not verified" (replies still go to the
  sender); otherwise it opens without an account (staff attach it later).
- **Merged tickets**: a message threaded to a ticket merged into another lands in that one.
- **Idempotency**: the Message-ID (or, without one, a hash of the message) is unique on
  TicketMessage; a message read twice adds one message.
- **No loops**: auto-replies and bounces (Auto-Submitted other than "no", Precedence
  bulk/junk/list/auto_reply, X-Autoreply, a delivery status report, a null or MAILER-DAEMON
  sender) are ignored, and Hutor never answers a received email automatically.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils.html import strip_tags

from hutor.accounts.models import BillingAccount
from hutor.notifications.models import OutboxEmail
from hutor.support import actions, files, numbers, queries
from hutor.support.models import Department, Ticket, TicketMessage

_OUTBOX_ID = re.compile(r"^<hutor-outbox-(\d+)@hutor>$")
_ROOT_ID = re.compile(r"^<ticket-(T-\d+)@hutor>$")
_MSGID = re.compile(r"<[^<>\s]+>")


class Result(enum.StrEnum):
    OPENED = "opened"  # a new ticket
    REPLIED = "replied"  # a message in an existing ticket
    DUPLICATE = "duplicate"  # this message was read before
    IGNORED = "ignored"  # an auto-reply or a bounce


@dataclass(frozen=True)
class Outcome:
    result: Result
    ticket: Ticket | None = None


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def is_automatic(message: EmailMessage) -> bool:
    """An auto-reply, a bounce or a list's mail (RFC 3834, RFC 3464, RFC 2076)."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if message.get_content_type() == "multipart/report":
        return True
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    return_path = str(message.get("Return-Path", "")).strip()
    return return_path == "<>" or sender.split("@")[0] in ("mailer-daemon", "postmaster")


def message_id(message: EmailMessage, raw: bytes) -> str:
    found = _MSGID.search(str(message.get("Message-ID", "")))
    if found:
        return found.group(0)[:250]
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@hutor-inbound>"


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = strip_tags(text)
    return str(text).strip()


def attachments_of(message: EmailMessage) -> list[files.Incoming]:
    """The message's files that pass the limits; the others are left out (the email itself is
    still taken: a customer's words are not refused for an attachment)."""
    kept: list[files.Incoming] = []
    for part in message.iter_attachments():
        name = part.get_filename()
        content = part.get_payload(decode=True)
        if not name or not isinstance(content, bytes):
            continue
        incoming = files.Incoming(name=name, content=content)
        try:
            files.check([*kept, incoming])
        except files.BadAttachment:
            continue
        kept.append(incoming)
    return kept


def _referenced(message: EmailMessage) -> list[str]:
    ids: list[str] = []
    for header in ("In-Reply-To", "References"):
        ids.extend(_MSGID.findall(str(message.get(header, ""))))
    return list(reversed(ids))  # the nearest first


def _thread(message: EmailMessage) -> Ticket | None:
    for ref in _referenced(message):
        root = _ROOT_ID.match(ref)
        if root:
            ticket = Ticket.objects.filter(number=root.group(1)).first()
            if ticket:
                return ticket
        outbox = _OUTBOX_ID.match(ref)
        if outbox:
            email = OutboxEmail.objects.filter(pk=int(outbox.group(1))).first()
            if email and "ticket" in email.params:
                return Ticket.objects.filter(number=email.params["ticket"]).first()
        earlier = TicketMessage.objects.filter(email_message_id=ref).select_related("ticket")
        if earlier.exists():
            return earlier[0].ticket
    number = numbers.find(str(message.get("Subject", "")))
    return Ticket.objects.filter(number=number).first() if number else None


def _sender_may_write(ticket: Ticket, sender: str) -> bool:
    addresses = {ticket.email.lower()} - {""}
    if ticket.billing_account is not None and ticket.sender_verified:
        addresses |= queries.account_addresses(ticket.billing_account)
    return sender in addresses


def _account_of(sender: str) -> BillingAccount | None:
    return (
        BillingAccount.objects.filter(
            Q(contact_email__iexact=sender) | Q(user__email__iexact=sender)
        )
        .order_by("id")
        .first()
    )


# What finds the billing accounts a text quotes: the desk's search, registered by
# backoffice.apps at start (`find_quoted_accounts`); nothing is found without it.
_finders: list[Callable[[str], Sequence[BillingAccount]]] = []


def find_quoted_accounts(finder: Callable[[str], Sequence[BillingAccount]]) -> None:
    """Register the function that lists the accounts a free text's numbers lead to (once:
    the desk's app, when it starts)."""
    _finders[:] = [finder]


def _quoted_account(text: str) -> BillingAccount | None:
    """The one account the numbers and domains of the text lead to; none when they lead to
    none or to several."""
    quoted = _finders[0](text) if _finders else []
    return quoted[0] if len(quoted) == 1 else None


def _department() -> Department:
    code = getattr(settings, "HUTOR_SUPPORT_EMAIL_DEPARTMENT", "")
    found = Department.objects.filter(is_active=True)
    return (
        (found.filter(code=code).first() if code else None)
        or found.order_by("position", "id").first()
        or Department.objects.get()
    )


def receive(raw: bytes) -> Outcome:
    """Take one email from the support mailbox into a ticket (see the module's docstring)."""
    message = parse(raw)
    if is_automatic(message):
        return Outcome(Result.IGNORED)
    msgid = message_id(message, raw)
    earlier = TicketMessage.objects.filter(email_message_id=msgid).select_related("ticket").first()
    if earlier is not None:
        return Outcome(Result.DUPLICATE, earlier.ticket)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    if "@" not in sender:
        return Outcome(Result.IGNORED)
    text = body_text(message) or "—"
    subject = " ".join(str(message.get("Subject", "")).split())[:200] or "—"
    found = _thread(message)
    # The sender is checked against the ticket the thread names; a merged one's messages land
    # in the ticket it was merged into.
    may = found is not None and _sender_may_write(found, sender)
    ticket = queries.merged_target(found) if found is not None and may else None
    try:
        if ticket is not None:
            actions.customer_reply(
                ticket=ticket,
                text=text,
                author=None,
                attachments=attachments_of(message),
                email_message_id=msgid,
            )
            return Outcome(Result.REPLIED, ticket)
        account = _account_of(sender)
        verified = account is not None
        if account is None:
            account = _quoted_account(f"{subject}\n{text}")
        opened = actions.open_ticket(
            subject=subject,
            text=text,
            department=_department(),
            billing_account=account,
            email="" if verified else sender,
            attachments=attachments_of(message),
            email_message_id=msgid,
            sender_verified=verified,
        )
        return Outcome(Result.OPENED, opened)
    except IntegrityError:
        # Read by another worker at the same moment: its copy counts.
        return Outcome(Result.DUPLICATE, None)
