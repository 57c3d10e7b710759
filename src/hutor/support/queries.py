"""Read models of the support screens: the customer's tickets, the desk's queue, a thread."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from hutor.core import clock
from hutor.support import calculations
from hutor.support.models import (
    OPEN_STATUSES,
    CannedAnswer,
    Department,
    MessageKind,
    Ticket,
    TicketMessage,
    TicketStatus,
)

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount

# The desk queue's filters, in the order the page shows them.
FILTERS = ("open", "mine", "unassigned", "waiting", "overdue", "closed", "all")


def departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True)


def customer_tickets(account: BillingAccount) -> QuerySet[Ticket]:
    """The account's tickets in its panel; not those of a sender not verified for it (a stranger
    who quoted the account's number does not write into its owner's panel)."""
    return Ticket.objects.filter(billing_account=account, sender_verified=True).select_related(
        "department"
    )


def customer_ticket(account: BillingAccount, number: str) -> Ticket | None:
    """One of the account's tickets by number; another account's is not found (IDOR)."""
    return (
        Ticket.objects.filter(billing_account=account, number=number, sender_verified=True)
        .select_related("department", "service")
        .first()
    )


def thread(ticket: Ticket, *, staff: bool) -> list[TicketMessage]:
    """The messages of a ticket, oldest first; internal notes only for staff."""
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not staff:
        messages = messages.exclude(kind=MessageKind.NOTE)
    return list(messages)


def overdue_q(now: dt.datetime) -> Q:
    """calculations.is_overdue() as a query: open, and past a target not yet met."""
    return Q(status__in=OPEN_STATUSES) & (
        Q(first_replied_at__isnull=True, first_reply_due__lt=now) | Q(resolution_due__lt=now)
    )


@dataclass(frozen=True)
class Queue:
    tickets: list[Ticket]
    department: Department | None
    filter: str
    counts: dict[str, int]


def queue(*, staff_id: int, department_code: str = "", filter: str = "open") -> Queue:
    """The desk's ticket queue: one department or all, narrowed by one filter; the tickets
    waiting longest first."""
    now = clock.now()
    base = Ticket.objects.all()
    department = None
    if department_code:
        department = Department.objects.filter(code=department_code).first()
        if department is not None:
            base = base.filter(department=department)
    narrowed = {
        "open": Q(status__in=OPEN_STATUSES),
        "mine": Q(status__in=OPEN_STATUSES, assignee_id=staff_id),
        "unassigned": Q(status__in=OPEN_STATUSES, assignee__isnull=True),
        "waiting": Q(status__in=[TicketStatus.NEW, TicketStatus.WAITING_STAFF]),
        "overdue": overdue_q(now),
        "closed": Q(status=TicketStatus.CLOSED),
        "all": Q(),
    }
    if filter not in narrowed:
        filter = "open"
    counts = {name: base.filter(q).count() for name, q in narrowed.items() if name != "all"}
    tickets = list(
        base.filter(narrowed[filter])
        .select_related("department", "billing_account", "assignee")
        .order_by("updated_at", "id")[:200]
    )
    for ticket in tickets:
        ticket.overdue = is_overdue(ticket, now)  # type: ignore[attr-defined]
    return Queue(tickets=tickets, department=department, filter=filter, counts=counts)


def is_overdue(ticket: Ticket, now: dt.datetime | None = None) -> bool:
    return calculations.is_overdue(
        status=ticket.status,
        first_replied_at=ticket.first_replied_at,
        first_reply_due=ticket.first_reply_due,
        resolution_due=ticket.resolution_due,
        now=now or clock.now(),
    )


def account_tickets(account: BillingAccount, limit: int = 50) -> list[Ticket]:
    """The account's tickets for the desk's account page, newest activity first."""
    return list(
        Ticket.objects.filter(billing_account=account)
        .select_related("department", "assignee")
        .order_by("-updated_at", "-id")[:limit]
    )


def account_addresses(account: BillingAccount) -> set[str]:
    """The addresses that speak for an account: its contact email and its login (lower-case)."""
    addresses = {account.contact_email.lower()}
    if account.user_id is not None and account.user is not None:
        addresses.add(account.user.email.lower())
    return addresses - {""}


def merged_target(ticket: Ticket) -> Ticket:
    """The ticket a merged ticket's number leads to (itself when not merged)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.select_related("billing_account").get(pk=ticket.merged_into_id)
    return ticket


def canned_answers(ticket: Ticket) -> QuerySet[CannedAnswer]:
    """The active canned answers offered on a ticket: its department's and those of none."""
    return CannedAnswer.objects.filter(is_active=True).filter(
        Q(department__isnull=True) | Q(department_id=ticket.department_id)
    )


# --- Reports (presented by backoffice.reports) -------------------------------------------------


def opened_closed_per_day(
    start: dt.datetime, end: dt.datetime
) -> tuple[dict[dt.date, int], dict[dt.date, int]]:
    """Tickets opened, and tickets closed (and still closed), per day of the current time zone,
    in [start, end)."""
    opened = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    closed = (
        Ticket.objects.filter(status=TicketStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .annotate(day=TruncDate("closed_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return (
        {_day(row["day"]): row["n"] for row in opened},
        {_day(row["day"]): row["n"] for row in closed},
    )


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class SlaRow:
    """How the tickets opened in a period of one department or one agent kept their targets."""

    group: str  # "all", "department" or "agent"
    name: str
    tickets: int
    first_reply: calculations.Target
    resolution: calculations.Target


def sla(start: dt.datetime, end: dt.datetime) -> list[SlaRow]:
    """The tickets opened in [start, end): all of them, by department and by agent (the
    ticket's assignee; "unassigned" for none): first reply against its target, resolution
    (closed, and still closed) against its. A ticket not yet answered or closed counts as
    missed once its deadline has passed, else as pending."""
    now = clock.now()
    tickets = list(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .select_related("department", "assignee")
        .order_by("id")
    )
    by_department: dict[int, list[Ticket]] = {}
    by_agent: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        by_department.setdefault(ticket.department_id, []).append(ticket)
        by_agent.setdefault(ticket.assignee_id or 0, []).append(ticket)

    def row(group: str, name: str, some: list[Ticket]) -> SlaRow:
        return SlaRow(
            group=group,
            name=name,
            tickets=len(some),
            first_reply=calculations.target_kept(
                ((t.created_at, t.first_replied_at, t.first_reply_due) for t in some), now
            ),
            resolution=calculations.target_kept(
                (
                    (t.created_at, t.closed_at if t.is_closed else None, t.resolution_due)
                    for t in some
                ),
                now,
            ),
        )

    rows = [row("all", "", tickets)] if tickets else []
    rows += [
        row("department", department.name, by_department[department.pk])
        for department in Department.objects.filter(pk__in=by_department)
    ]
    agents: dict[int, str] = {
        ticket.assignee.pk: ticket.assignee.email for ticket in tickets if ticket.assignee
    }
    rows += [
        row("agent", agents[pk], by_agent[pk]) for pk in sorted(agents, key=agents.__getitem__)
    ]
    if 0 in by_agent:
        rows.append(row("agent", "", by_agent[0]))
    return rows
