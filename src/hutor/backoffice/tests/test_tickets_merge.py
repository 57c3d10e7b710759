"""Merging ticket B into A at the desk: B's messages and files move to A in the order of their
times, B closes with a note, B's number leads to A in the desk, the panel and email; audited;
refused into itself, across accounts, twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.backoffice.tests.test_tickets_sender import email
from hutor.core import clock
from hutor.support import actions, inbound
from hutor.support.exceptions import SupportError
from hutor.support.files import Incoming
from hutor.support.models import Attachment, MessageKind, Ticket, TicketStatus
from hutor.support.tests.data import department


def open_for(account, subject: str, text: str, **kwargs) -> Ticket:
    return actions.open_ticket(
        subject=subject,
        text=text,
        department=department(),
        billing_account=account,
        author=account.user if account else None,
        **kwargs,
    )


@pytest.mark.django_db
def test_support_merges_b_into_a_and_b_leads_to_a(world, staff_factory):
    acc = world.account
    start = clock.now()
    with time_machine.travel(start, tick=False):
        a = open_for(acc, "Не работает почта", "Первое письмо")
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        b = open_for(
            acc, "Почта снова", "Второе, с логом", attachments=[Incoming("mail.log", b"550")]
        )
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        actions.customer_reply(ticket=a, text="Дополнение к первому", author=None, attachments=[])
    staff = staff_factory(Role.SUPPORT)
    desk = desk_session(Client(), staff)

    # Refused: into itself, into a ticket that does not exist, without confirmation.
    desk.post(f"/desk/tickets/{b.number}/merge/", {"into": b.number, "confirm": "yes"})
    desk.post(f"/desk/tickets/{b.number}/merge/", {"into": "T-99999", "confirm": "yes"})
    desk.post(f"/desk/tickets/{b.number}/merge/", {"into": a.number})
    assert not AuditEntry.objects.filter(action="ticket.merge").exists()
    b.refresh_from_db()
    assert b.merged_into is None and b.status == TicketStatus.NEW

    response = desk.post(
        f"/desk/tickets/{b.number}/merge/", {"into": a.number.lower(), "confirm": "yes"}
    )
    assert response["Location"] == f"/desk/tickets/{a.number}/"
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.merged_into == a and b.status == TicketStatus.CLOSED
    ((kind, note),) = b.messages.values_list("kind", "text")
    assert kind == MessageKind.NOTE and a.number in note
    texts = [m.text for m in a.messages.exclude(kind=MessageKind.NOTE)]
    assert texts == ["Первое письмо", "Дополнение к первому", "Второе, с логом"]
    assert Attachment.objects.get().message.ticket == a
    entry = AuditEntry.objects.get(action="ticket.merge")
    assert entry.staff == staff and entry.reason == b.number and entry.billing_account == acc
    assert entry.changes["merged_into"] == a.number

    # B's number leads to A: the desk page, the desk's forms, the panel.
    response = desk.get(f"/desk/tickets/{b.number}/")
    assert response.status_code == 302 and response["Location"] == f"/desk/tickets/{a.number}/"
    page = desk.get(response["Location"]).content.decode()
    assert "Второе, с логом" in page and "mail.log" in page
    desk.post(f"/desk/tickets/{b.number}/note/", {"note-text": "Через старый номер"})
    assert a.messages.filter(text="Через старый номер").exists()
    panel = Client()
    panel.force_login(acc.user)
    response = panel.get(f"/panel/support/{b.number}/")
    assert response.status_code == 302 and response["Location"].endswith(f"/{a.number}/")

    # An email reply to B's thread lands in A.
    outcome = inbound.receive(
        email(
            acc.contact_email,
            f"Re: [{b.number}] Почта снова",
            "Ответ в старую ветку",
            In_Reply_To=b.root_message_id,
        )
    )
    assert outcome.result == inbound.Result.REPLIED and outcome.ticket == a
    assert a.messages.filter(text="Ответ в старую ветку").exists()

    # Refused: merging B again, or anything into B.
    other = open_for(acc, "Третий", "Текст")
    for source, target in [(b, other), (other, b)]:
        with translation.override("en"), pytest.raises(SupportError, match="already merged"):
            actions.merge(source=source, target=target, staff=staff)
    assert AuditEntry.objects.filter(action="ticket.merge").count() == 1


@pytest.mark.django_db
def test_an_unknown_senders_ticket_merges_into_an_accounts_not_across_accounts(
    world, account_factory, staff_factory
):
    acc = world.account
    a = open_for(acc, "Вопрос", "От клиента")
    stranger = open_for(None, "Вопрос с личной почты", "Это Ольга", email="olga@home.example")
    other = open_for(account_factory(email="ivan@example.com"), "Чужой", "Текст")
    staff = staff_factory(Role.SUPPORT)
    with translation.override("en"):
        with pytest.raises(SupportError, match="different billing accounts"):
            actions.merge(source=other, target=a, staff=staff)
        with pytest.raises(SupportError, match="different billing accounts"):
            actions.merge(source=a, target=stranger, staff=staff)
    actions.close(ticket=a)
    merged = actions.merge(source=stranger, target=a, staff=staff)
    # What the stranger's ticket still waited for is open again in A.
    assert merged.status == TicketStatus.WAITING_STAFF
    # The stranger answers their own thread by email: it lands in A (their ticket's sender).
    outcome = inbound.receive(
        email(
            "olga@home.example",
            "Re: Вопрос с личной почты",
            "Ещё",
            In_Reply_To=stranger.root_message_id,
        )
    )
    assert outcome.result == inbound.Result.REPLIED and outcome.ticket == a


@pytest.mark.django_db
def test_hostile_values_in_the_ticket_forms_are_refused_never_a_500(world, staff_factory):
    from hutor.core.tests.hostile import HOSTILE, form_body

    acc = world.account
    a = open_for(acc, "A", "a")
    stranger = open_for(None, "S", "s", email="s@elsewhere.org")
    desk = desk_session(Client(), staff_factory(Role.SUPPORT))
    base = {"title": "T", "text_ru": "т", "text_en": "t", "reason": "r"}
    for key, value in HOSTILE.items():
        posts = [
            (f"/desk/tickets/{stranger.number}/attach/", {"account": value, "confirm": "yes"}),
            (f"/desk/tickets/{stranger.number}/attach/", {"account": acc.number, "confirm": value}),
            (f"/desk/tickets/{stranger.number}/verify/", {"confirm": value}),
            (f"/desk/tickets/{stranger.number}/merge/", {"into": value, "confirm": "yes"}),
            ("/desk/canned/new/", base | {"text_ru": value}),
            ("/desk/canned/new/", base | {"department": value}),
        ]
        for url, fields in posts:
            response = desk.generic(
                "POST", url, form_body(fields), "application/x-www-form-urlencoded"
            )
            assert response.status_code < 500, (key, url)
    stranger.refresh_from_db()
    assert stranger.billing_account is None and stranger.merged_into is None
    assert not AuditEntry.objects.filter(action__in=["ticket.attach", "ticket.merge"]).exists()
    assert a.messages.count() == 1
