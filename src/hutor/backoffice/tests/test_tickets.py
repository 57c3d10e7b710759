"""Support's tickets at the desk, through its pages: the queue and its filters, the ticket
beside the account's 360° panel, replies (emailed with threading headers), internal notes,
assignment, status and priority, each audited; every desk role reads; the account page lists
the account's tickets."""

from __future__ import annotations

import datetime as dt
import email as email_lib

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.core import clock
from hutor.notifications.actions import deliver_due
from hutor.support import actions
from hutor.support.models import MessageKind, TicketStatus
from hutor.support.tests.data import department

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(world):
    return actions.open_ticket(
        subject="Не работает почта",
        text="Письма не уходят с romashka.ru",
        department=department("technical"),
        billing_account=world.account,
        service=world.hosting,
        author=world.account.user,
    )


def test_every_desk_role_reads_the_queue_and_the_ticket_with_the_account_panel(
    world, ticket, staff_factory
):
    for role in (Role.SUPPORT, Role.SALES, Role.ACCOUNTANT, Role.ADMIN):
        client = desk_session(Client(), staff_factory(role))
        queue = client.get("/desk/tickets/")
        assert queue.status_code == 200 and ticket.number in queue.content.decode()
        page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
        assert "Письма не уходят" in page
        # The account beside it: number, services, unpaid invoice, last payment.
        assert world.account.number in page and "romashka.ru" in page
        assert world.unpaid_invoice.number in page and world.payment.number in page
    assert client.get("/desk/tickets/T-99999/").status_code == 404


def test_support_replies_and_the_email_is_threaded(world, ticket, staff_factory):
    staff = staff_factory(Role.SUPPORT)
    client = desk_session(Client(), staff)
    url = f"/desk/tickets/{ticket.number}/"
    response = client.post(
        url + "reply/",
        {
            "reply-text": "Проверили: ящик переполнен.",
            "reply-attachments": [SimpleUploadedFile("howto.txt", b"clean the mailbox")],
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CUSTOMER and ticket.first_replied_at
    entry = AuditEntry.objects.get(action="ticket.reply")
    assert entry.staff == staff and entry.reason == ticket.number
    assert entry.billing_account == world.account and entry.object_id == ticket.number
    # A second reply, then both emails go out.
    client.post(url + "reply/", {"reply-text": "Почистили, проверьте."})
    mail.outbox.clear()
    deliver_due()
    replies = [m for m in mail.outbox if ticket.number in m.subject]
    assert len(replies) == 2
    first, second = (email_lib.message_from_bytes(m.message().as_bytes()) for m in replies)
    assert first["Subject"].startswith(f"[{ticket.number}]") or ticket.number in str(
        email_lib.header.make_header(email_lib.header.decode_header(first["Subject"]))
    )
    root = f"<ticket-{ticket.number}@hutor>"
    assert first["In-Reply-To"] == root and first["References"] == root
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"].split() == [root, first["Message-ID"]]
    assert first["Message-ID"] != second["Message-ID"]
    assert replies[0].to == [world.account.contact_email]
    assert "ящик переполнен" in replies[0].body


def test_notes_assignment_status_and_priority_are_audited(world, ticket, staff_factory):
    staff = staff_factory(Role.SUPPORT)
    colleague = staff_factory(Role.SALES)
    client = desk_session(Client(), staff)
    url = f"/desk/tickets/{ticket.number}/"
    client.post(url + "note/", {"note-text": "Клиент VIP"})
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1
    client.post(url + "assign/", {"assignee": colleague.pk})
    client.post(url + "status/", {"status": "closed"})
    client.post(url + "priority/", {"priority": "urgent"})
    ticket.refresh_from_db()
    assert ticket.assignee == colleague and ticket.status == TicketStatus.CLOSED
    assert ticket.priority == "urgent"
    assert ticket.resolution_due == ticket.created_at + dt.timedelta(hours=8)
    actions_done = list(
        AuditEntry.objects.filter(object_type="ticket").values_list("action", flat=True)
    )
    assert sorted(actions_done) == sorted(
        ["ticket.note", "ticket.assign", "ticket.status", "ticket.priority"]
    )
    status = AuditEntry.objects.get(action="ticket.status")
    assert status.changes["status"] == {"from": "new", "to": "closed"}
    # Refusals come back as a message on the page, never a 500, and change nothing.
    for path, data in [
        ("status/", {"status": "new"}),
        ("status/", {"status": "bogus"}),
        ("priority/", {"priority": "bogus"}),
        ("assign/", {"assignee": "999999"}),
        ("assign/", {"assignee": world.account.user.pk}),  # a customer, not staff
        ("reply/", {"reply-text": ""}),
        ("note/", {"note-text": "x", "note-attachments": [SimpleUploadedFile("a.exe", b"MZ")]}),
    ]:
        response = client.post(url + path, data, follow=True)
        assert response.status_code == 200, path
        assert response.context["messages"], path
    assert AuditEntry.objects.filter(object_type="ticket").count() == 4


def test_the_queue_filters(world, ticket, staff_factory):
    staff = staff_factory(Role.SUPPORT)
    client = desk_session(Client(), staff)
    other = actions.open_ticket(
        subject="Счёт",
        text="Нужен акт",
        department=department("billing"),
        billing_account=world.account,
    )
    actions.assign(ticket=other, assignee=staff)

    def numbers(query: str) -> set[str]:
        page = client.get("/desk/tickets/?" + query).content.decode()
        return {n for n in (ticket.number, other.number) if f'data-ticket="{n}"' in page}

    assert numbers("filter=open") == {ticket.number, other.number}
    assert numbers("filter=mine") == {other.number}
    assert numbers("filter=unassigned") == {ticket.number}
    assert numbers("department=billing") == {other.number}
    assert numbers("filter=waiting") == {ticket.number, other.number}
    assert numbers("filter=overdue") == set()
    assert numbers("filter=nonsense&department=nonsense") == {ticket.number, other.number}
    actions.staff_reply(ticket=other, staff=staff, text="Отправили")
    assert numbers("filter=waiting") == {ticket.number}
    # Nine hours later the normal priority's first-reply target (8 h) has passed for the
    # ticket nobody answered; the answered one is still within its resolution target.
    with time_machine.travel(clock.now() + dt.timedelta(hours=9)):
        client = desk_session(Client(), staff)  # the morning's desk session has timed out
        assert numbers("filter=overdue") == {ticket.number}
        page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
        assert 'data-testid="overdue"' in page


def test_the_account_page_lists_its_tickets_and_search_finds_a_ticket_number(
    world, ticket, staff_factory
):
    client = desk_session(Client(), staff_factory(Role.SUPPORT))
    digits = ticket.number.removeprefix("T-")
    for typed in (ticket.number, f"т{digits}", f"T {digits}"):
        response = client.get("/desk/", {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == f"/desk/tickets/{ticket.number}/"
    page = client.get(f"/desk/accounts/{world.account.number}/").content.decode()
    assert ticket.number in page and "Не работает почта" in page


def test_ticket_files_are_served_to_staff_only_through_the_desk(world, staff_factory, client):
    from hutor.support.files import Incoming

    item = actions.open_ticket(
        subject="Скриншот",
        text="см. файл",
        department=department("technical"),
        billing_account=world.account,
        attachments=[Incoming(name="error.png", content=b"\x89PNG....")],
    )
    file = item.messages.get().attachments.get()
    url = f"/desk/tickets/{item.number}/files/{file.pk}/"
    assert client.get(url).status_code == 302  # no desk session: to the desk login
    desk = desk_session(Client(), staff_factory(Role.SUPPORT))
    assert desk.get(url).status_code == 200
    assert desk.get(f"/desk/tickets/{item.number}/files/{file.pk + 1}/").status_code == 404
    # Another customer reaches it through neither the panel nor the desk.
    stranger = Client()
    stranger.force_login(world.other.user)
    assert stranger.get(f"/panel/support/{item.number}/files/{file.pk}/").status_code == 404
    assert stranger.get(url).status_code == 302
