"""The email of a staff reply ("support_reply"): the answer itself, in the customer's language,
threaded with the ticket's earlier emails so mail programs show one conversation.

The subject carries the ticket number in brackets ("[T-10001] Subject"), which is also how a
customer's reply by email finds its ticket when the headers were lost. Every email of a ticket
names the ticket's root Message-ID first in References, then the earlier replies' own, and
answers the latest of them (In-Reply-To).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import RenderedEmail, register
from hutor.support.models import Ticket, TicketMessage


def subject_of(ticket: Ticket) -> str:
    return f"[{ticket.number}] {ticket.subject}"


def thread_headers(ticket: Ticket, email: OutboxEmail) -> dict[str, str]:
    """In-Reply-To and References for an email of the ticket (RFC 5322 section 3.6.4)."""
    earlier = (
        OutboxEmail.objects.filter(
            template=email.template, params__ticket=ticket.number, pk__lt=email.pk
        )
        .order_by("pk")
        .only("pk")
    )
    references = [ticket.root_message_id, *(item.message_id for item in earlier)]
    headers = {"In-Reply-To": references[-1], "References": " ".join(references)}
    if settings.HUTOR_SUPPORT_EMAIL:
        headers["Reply-To"] = settings.HUTOR_SUPPORT_EMAIL
    return headers


@register("support_reply")
def support_reply(email: OutboxEmail) -> RenderedEmail:
    ticket = Ticket.objects.select_related("billing_account").get(number=email.params["ticket"])
    message = TicketMessage.objects.prefetch_related("attachments").get(
        pk=email.params["message"], ticket=ticket
    )
    context = {
        "ticket": ticket,
        "message": message,
        "ticket_url": (
            f"{settings.HUTOR_BASE_URL}/panel/support/{ticket.number}/"
            if ticket.billing_account_id
            else ""
        ),
    }
    return RenderedEmail(
        subject=subject_of(ticket),
        text=render_to_string("support/email/reply.txt", context),
        html=render_to_string("support/email/reply.html", context),
        headers=thread_headers(ticket, email),
    )
