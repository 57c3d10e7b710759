"""The support center's use cases: the one writer of tickets, messages and attachments.

Each action runs in one transaction; the ticket's row is locked before its status changes,
and the status changes only through `transition()`, which checks the move is allowed. A staff
reply queues its email in the same transaction (the outbox), so the email exists exactly when
the reply does. Files are written before the transaction and removed if it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.changes import changes
from hutor.core.sequences import next_value
from hutor.notifications import actions as notifications
from hutor.support import calculations, canned, files, numbers, queries
from hutor.support.exceptions import SupportError, TransitionNotAllowed
from hutor.support.models import (
    Attachment,
    CannedAnswer,
    Department,
    MessageKind,
    Ticket,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User
    from hutor.services.models import Service

T = TypeVar("T")

# Which status may follow which. A new message reopens a closed ticket; "new" is only a start.
ALLOWED: dict[str, set[str]] = {
    TicketStatus.NEW: {
        TicketStatus.WAITING_STAFF,
        TicketStatus.WAITING_CUSTOMER,
        TicketStatus.CLOSED,
    },
    TicketStatus.WAITING_STAFF: {TicketStatus.WAITING_CUSTOMER, TicketStatus.CLOSED},
    TicketStatus.WAITING_CUSTOMER: {TicketStatus.WAITING_STAFF, TicketStatus.CLOSED},
    TicketStatus.CLOSED: {TicketStatus.WAITING_STAFF, TicketStatus.WAITING_CUSTOMER},
}

MAX_TEXT = 20000
REPLY_EMAIL = "support_reply"


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise SupportError(_("Write the message."))
    if len(text) > MAX_TEXT:
        raise SupportError(_("A message is at most %(n)s characters long.") % {"n": MAX_TEXT})
    return text


def _with_files(incoming: list[files.Incoming], work: Callable[[list[files.Stored]], T]) -> T:
    """Run `work(stored)` in a transaction after writing the files; remove them if it fails."""
    files.check(incoming)
    stored = files.store(incoming, folder=clock.now().strftime("%Y/%m"))
    try:
        with transaction.atomic():
            return work(stored)
    except BaseException:
        files.discard(stored)
        raise


def _add_message(
    ticket: Ticket,
    *,
    kind: str,
    text: str,
    author: User | None,
    stored: list[files.Stored],
    email_message_id: str | None = None,
) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        author=author,
        text=text,
        created_at=clock.now(),
        email_message_id=email_message_id,
    )
    Attachment.objects.bulk_create(
        Attachment(
            message=message,
            file_name=item.file_name,
            path=item.path,
            content_type=item.content_type,
            size=item.size,
        )
        for item in stored
    )
    return message


def transition(ticket: Ticket, to: str) -> Ticket:
    """Move a ticket (locked by the caller's transaction) to status `to`, if allowed."""
    if ticket.status == to:
        return ticket
    if to not in ALLOWED.get(ticket.status, set()):
        raise TransitionNotAllowed(
            _("A ticket that is «%(from)s» cannot become «%(to)s».")
            % {"from": TicketStatus(ticket.status).label, "to": TicketStatus(to).label}
        )
    now = clock.now()
    ticket.status = to
    ticket.closed_at = now if to == TicketStatus.CLOSED else None
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    # Only the ticket row is locked (PostgreSQL refuses FOR UPDATE on an outer join's side).
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("billing_account")
        .get(pk=ticket.pk)
    )


def open_ticket(
    *,
    subject: str,
    text: str,
    department: Department,
    billing_account: BillingAccount | None,
    service: Service | None = None,
    priority: str = TicketPriority.NORMAL,
    author: User | None = None,
    email: str = "",
    language: str | None = None,
    attachments: list[files.Incoming] | None = None,
    email_message_id: str | None = None,
    sender_verified: bool = True,
) -> Ticket:
    """Open a ticket with its first message, from the customer (panel) or a sender (email).

    The service, if named, must be the account's own: a customer cannot file a ticket about
    someone else's service. `sender_verified=False` marks a ticket put on an account by a
    number its sender quoted: staff verify the sender before disclosing the account's details."""
    subject = " ".join((subject or "").split())
    if not subject:
        raise SupportError(_("Write the subject."))
    if len(subject) > 200:
        raise SupportError(_("A subject is at most 200 characters long."))
    text = _text(text)
    if service is not None and (
        billing_account is None or service.billing_account_id != billing_account.pk
    ):
        raise SupportError(_("This service is not in your billing account."))
    if not department.is_active:
        raise SupportError(_("Choose a department."))
    if billing_account is None and not email:
        raise SupportError(_("A ticket needs a billing account or a sender's email."))
    if not sender_verified and not email:
        raise SupportError(_("An unverified sender's ticket needs the sender's email."))

    def work(stored: list[files.Stored]) -> Ticket:
        now = clock.now()
        first_due, resolution_due = calculations.due_times(priority, now)
        ticket = Ticket.objects.create(
            number=numbers.format_number(
                next_value(numbers.SEQUENCE_NAME, start=numbers.FIRST_VALUE)
            ),
            subject=subject,
            department=department,
            priority=priority,
            status=TicketStatus.NEW,
            billing_account=billing_account,
            service=service,
            email=email,
            sender_verified=sender_verified or billing_account is None,
            language=language or (billing_account.language if billing_account else "ru"),
            created_at=now,
            updated_at=now,
            first_reply_due=first_due,
            resolution_due=resolution_due,
        )
        _add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            text=text,
            author=author,
            stored=stored,
            email_message_id=email_message_id,
        )
        return ticket

    return _with_files(attachments or [], work)


def customer_reply(
    *,
    ticket: Ticket,
    text: str,
    author: User | None,
    attachments: list[files.Incoming] | None,
    email_message_id: str | None = None,
) -> TicketMessage:
    """The customer writes again (panel or email): the ticket waits for staff (a closed one is
    reopened). `email_message_id` is unique: the same email twice raises IntegrityError."""
    text = _text(text)

    def work(stored: list[files.Stored]) -> TicketMessage:
        locked = _locked(ticket)
        message = _add_message(
            locked,
            kind=MessageKind.CUSTOMER,
            text=text,
            author=author,
            stored=stored,
            email_message_id=email_message_id,
        )
        transition(locked, TicketStatus.WAITING_STAFF)
        return message

    return _with_files(attachments or [], work)


def close(*, ticket: Ticket) -> Ticket:
    """Close the ticket (the customer or staff): solved, nothing more is expected."""
    with transaction.atomic():
        return transition(_locked(ticket), TicketStatus.CLOSED)


def staff_reply(
    *, ticket: Ticket, staff: User, text: str, attachments: list[files.Incoming] | None = None
) -> TicketMessage:
    """A staff answer: shown to the customer, emailed to them through the outbox, and the ticket
    waits for the customer. The first one stops the first-reply clock."""
    text = _text(text)

    def work(stored: list[files.Stored]) -> TicketMessage:
        locked = _locked(ticket)
        if not locked.reply_to:
            raise SupportError(_("The ticket has no address to send the reply to."))
        message = _add_message(
            locked, kind=MessageKind.STAFF, text=text, author=staff, stored=stored
        )
        if locked.first_replied_at is None:
            locked.first_replied_at = message.created_at
            locked.save(update_fields=["first_replied_at"])
        transition(locked, TicketStatus.WAITING_CUSTOMER)
        notifications.enqueue(
            key=f"support-reply:{message.pk}",
            template=REPLY_EMAIL,
            billing_account=locked.billing_account,
            to_email=locked.reply_to,
            language=locked.language,
            params={"ticket": locked.number, "message": message.pk},
        )
        return message

    return _with_files(attachments or [], work)


def add_note(
    *, ticket: Ticket, staff: User, text: str, attachments: list[files.Incoming] | None = None
) -> TicketMessage:
    """An internal note: for staff only, never shown or mailed to the customer."""
    text = _text(text)

    def work(stored: list[files.Stored]) -> TicketMessage:
        locked = _locked(ticket)
        message = _add_message(
            locked, kind=MessageKind.NOTE, text=text, author=staff, stored=stored
        )
        locked.updated_at = message.created_at
        locked.save(update_fields=["updated_at"])
        return message

    return _with_files(attachments or [], work)


def assign(*, ticket: Ticket, assignee: User | None) -> Ticket:
    """Give the ticket to a staff member, or to nobody."""
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise SupportError(_("Tickets are assigned to active staff members only."))
    with transaction.atomic():
        locked = _locked(ticket)
        locked.assignee = assignee
        locked.updated_at = clock.now()
        locked.save(update_fields=["assignee", "updated_at"])
        return locked


def set_status(*, ticket: Ticket, status: str) -> Ticket:
    """Staff change the status by hand (a ticket solved by phone is closed; a closed one is
    reopened)."""
    if status not in TicketStatus.values or status == TicketStatus.NEW:
        raise SupportError(_("Choose a status."))
    with transaction.atomic():
        return transition(_locked(ticket), status)


def set_priority(*, ticket: Ticket, priority: str) -> Ticket:
    """A new priority moves the SLA targets, counted from when the ticket was opened."""
    if priority not in TicketPriority.values:
        raise SupportError(_("Choose a priority."))
    with transaction.atomic():
        locked = _locked(ticket)
        locked.priority = priority
        locked.first_reply_due, locked.resolution_due = calculations.due_times(
            priority, locked.created_at
        )
        locked.save(update_fields=["priority", "first_reply_due", "resolution_due"])
        return locked


def attach_account(*, ticket: Ticket, account: BillingAccount) -> Ticket:
    """Put a ticket on a billing account: one without an account (an unknown sender), or one
    whose sender is not verified (put on an account by a number they quoted, perhaps wrongly).

    Replies keep going to the sender's address. The sender counts as verified only when their
    address is the account's own (its contact email or login); otherwise staff verify them
    (verify_sender) before disclosing the account's details."""
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.merged_into_id is not None:
            raise SupportError(_("This ticket is merged into another one."))
        if locked.billing_account_id == account.pk:
            raise SupportError(
                _("The ticket is already on account %(number)s.") % {"number": account.number}
            )
        if locked.billing_account_id is not None and locked.sender_verified:
            raise SupportError(
                _("The ticket belongs to account %(number)s; its sender is verified.")
                % {"number": locked.billing_account.number if locked.billing_account else ""}
            )
        if not locked.email:
            # Written from the account's own address: keep replies where they went.
            raise SupportError(_("The ticket has no sender's address to keep replying to."))
        locked.billing_account = account
        locked.sender_verified = locked.email.lower() in queries.account_addresses(account)
        if locked.service_id is not None:
            locked.service = None  # the service named was another account's
        locked.language = account.language or locked.language
        locked.updated_at = clock.now()
        locked.save(
            update_fields=[
                "billing_account",
                "sender_verified",
                "service",
                "language",
                "updated_at",
            ]
        )
        return locked


def verify_sender(*, ticket: Ticket) -> Ticket:
    """Staff have checked (by phone, by a code the account's owner confirmed...) that the sender
    speaks for the ticket's account: the desk's warning goes. Replies still go to the sender."""
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.billing_account_id is None:
            raise SupportError(_("Attach the ticket to a billing account first."))
        if locked.sender_verified:
            raise SupportError(_("The sender is already verified."))
        locked.sender_verified = True
        locked.updated_at = clock.now()
        locked.save(update_fields=["sender_verified", "updated_at"])
        return locked


def merge(*, source: Ticket, target: Ticket, staff: User) -> Ticket:
    """Merge ticket `source` into `target`: its messages (with their files) move there, in the
    order of their times; `source` is closed with a note naming `target` and from then on its
    number leads to `target` (the desk, the panel, email replies to its thread).

    Both must be of the same billing account, or `source` of none (an unknown sender's ticket
    joins a customer's); a ticket is not merged into itself or twice."""
    if source.pk == target.pk:
        raise SupportError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        # Both rows locked, in the order of their ids (two merges at once cannot deadlock).
        rows = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("billing_account")
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        )
        locked = {row.pk: row for row in rows}
        src, dst = locked[source.pk], locked[target.pk]
        for each in (src, dst):
            if each.merged_into_id is not None:
                raise SupportError(
                    _("%(number)s is already merged into another ticket.") % {"number": each.number}
                )
        if src.billing_account_id is not None and src.billing_account_id != dst.billing_account_id:
            raise SupportError(_("Tickets of different billing accounts cannot be merged."))
        moved = TicketMessage.objects.filter(ticket=src).update(ticket=dst)
        now = clock.now()
        TicketMessage.objects.create(
            ticket=src,
            kind=MessageKind.NOTE,
            author=staff,
            text=_("Merged into %(number)s.") % {"number": dst.number},
            created_at=now,
        )
        TicketMessage.objects.create(
            ticket=dst,
            kind=MessageKind.NOTE,
            author=staff,
            text=_("%(number)s is merged into this ticket (messages moved: %(count)s).")
            % {"number": src.number, "count": moved},
            created_at=now,
        )
        was_open = not src.is_closed
        transition(src, TicketStatus.CLOSED)
        src.merged_into = dst
        src.save(update_fields=["merged_into"])
        if was_open and dst.is_closed:
            transition(dst, TicketStatus.WAITING_STAFF)  # what B still waited for is open in A
        dst.updated_at = now
        dst.save(update_fields=["updated_at"])
        return dst


CANNED_FIELDS = ("title", "text_ru", "text_en", "department", "is_active")


def save_canned(
    *, answer: CannedAnswer | None, values: dict[str, object]
) -> tuple[CannedAnswer, dict[str, dict[str, object]]]:
    """Write a new canned answer or change one; returns it and what changed. A name in braces
    that is not a placeholder (canned.PLACEHOLDERS) is refused with the list of those there are."""
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        raise SupportError(_("Write the title."))
    if len(title) > 120:
        raise SupportError(_("A title is at most 120 characters long."))
    texts = {name: str(values.get(name) or "").strip() for name in ("text_ru", "text_en")}
    if not all(texts.values()):
        raise SupportError(_("Write the answer in Russian and in English."))
    unknown = [name for text in texts.values() for name in canned.unknown_placeholders(text)]
    if unknown:
        raise SupportError(
            _("Unknown placeholder %(names)s. The placeholders are: %(known)s.")
            % {
                "names": ", ".join("{" + name + "}" for name in dict.fromkeys(unknown)),
                "known": ", ".join("{" + name + "}" for name in canned.PLACEHOLDERS),
            }
        )
    department = values.get("department")
    if department is not None and not isinstance(department, Department):
        raise SupportError(_("Choose a department."))
    new = {
        "title": title,
        **texts,
        "department": department,
        "is_active": bool(values.get("is_active")),
    }
    with transaction.atomic():
        target = answer if answer is not None else CannedAnswer()
        before = {n: getattr(target, n) for n in CANNED_FIELDS} if answer is not None else {}
        for name in CANNED_FIELDS:
            setattr(target, name, new[name])
        target.save()
        return target, changes(before, new, refs={"department": "code"})
