"""Support by email against a real Dovecot (Debian's dovecot-imapd, started by the test).

A customer emails support and the ticket opens on their billing account (found by the
sender); an email from an address nobody has, quoting the account's number, opens a ticket on
that account marked "sender not verified"; a stranger's email opens a ticket without one;
support answers at the desk and the replies go out by the outbox, over SMTP to a sink, with the
ticket number and threading headers (the unverified sender's to the sender, not the account);
the customer's answer by email lands in the same ticket (by the headers, and by the number in
the subject alone); a message fetched twice adds one message; an auto-reply and a bounce are
ignored and answer nothing; a stranger quoting someone's ticket number does not get into it.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.test import Client

from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.notifications.actions import deliver_due
from hutor.notifications.models import OutboxEmail
from hutor.panel.tests.test_order_flow import smtp  # noqa: F401  (the SMTP sink fixture)
from hutor.support.models import Attachment, MessageKind, Ticket, TicketMessage, TicketStatus
from hutor.support.tests.data import department
from hutor.testing_dovecot import deliver, mark_all_unseen, running_dovecot

pytestmark = pytest.mark.django_db


@pytest.fixture
def dovecot():
    with running_dovecot() as server:
        yield server


def email(sender: str, subject: str, text: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@hutor.test"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def fetch(dovecot, capsys) -> str:
    call_command("support_fetch_mail", url=dovecot.url)
    return capsys.readouterr().out


def test_support_by_email_end_to_end(
    dovecot,
    smtp,  # noqa: F811  (the fixture imported above)
    account_factory,
    django_user_model,
    capsys,
):
    department()
    olga = account_factory(email="olga@example.com", name="Ольга", notify=False)
    first = email(
        "Ольга <Olga@Example.com>",
        "Сайт не работает",
        f"Добрый день! Аккаунт {olga.number}, сайт отвечает 502.",
        Message_ID="<first-1@example.com>",
    )
    with_file = EmailMessage()
    with_file["From"] = "stranger@elsewhere.org"
    with_file["Subject"] = "Вопрос о тарифах"
    with_file["Message-ID"] = "<q-1@elsewhere.org>"
    with_file.set_content("Сколько стоит VPS?")
    with_file.add_attachment(
        b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="req.pdf"
    )
    with_file.add_attachment(
        b"MZ", maintype="application", subtype="octet-stream", filename="x.exe"
    )
    # From her personal address, which no account has, quoting her account's number.
    personal = email(
        "olga.home@mail.example",
        f"Вопрос по аккаунту {olga.number}",
        "Пишу с личной почты: сколько у меня на балансе?",
        Message_ID="<home-1@mail.example>",
    )
    deliver(dovecot, first)
    deliver(dovecot, with_file.as_bytes())
    deliver(dovecot, personal)
    assert "Opened 3" in fetch(dovecot, capsys)

    ticket = Ticket.objects.get(billing_account=olga, sender_verified=True)
    assert ticket.subject == "Сайт не работает" and ticket.status == TicketStatus.NEW
    unverified = Ticket.objects.get(billing_account=olga, sender_verified=False)
    assert unverified.email == "olga.home@mail.example"
    assert olga.number in ticket.messages.get().text
    stranger = Ticket.objects.get(email="stranger@elsewhere.org")
    assert stranger.billing_account is None
    # The PDF is kept, the program left out; the words are taken all the same.
    assert list(Attachment.objects.values_list("file_name", flat=True)) == ["req.pdf"]

    # Support answers at the desk; the reply goes out with the number and the thread headers.
    staff = django_user_model.objects.create_user(email="anna@staff.example", is_staff=True)
    StaffProfile.objects.create(user=staff, role=Role.SUPPORT)
    desk = desk_session(Client(), staff)
    page = desk.get(f"/desk/tickets/{stranger.number}/").content.decode()
    assert 'data-testid="no-account"' in page and "stranger@elsewhere.org" in page
    page = desk.get(f"/desk/tickets/{unverified.number}/").content.decode()
    assert 'data-testid="sender-unverified"' in page and olga.number in page
    desk.post(f"/desk/tickets/{ticket.number}/reply/", {"reply-text": "Перезапустили сервер."})
    desk.post(
        f"/desk/tickets/{unverified.number}/reply/",
        {"reply-text": "Напишите, пожалуйста, с адреса аккаунта."},
    )
    deliver_due()
    # Both replies left over SMTP: each to the address that wrote.
    sent = smtp.by_subject(ticket.number)
    assert sent["To"] == "olga@example.com"
    assert sent["In-Reply-To"] == f"<ticket-{ticket.number}@hutor>"
    assert "Перезапустили сервер." in sent.get_body(("plain",)).get_content()
    assert smtp.by_subject(unverified.number)["To"] == "olga.home@mail.example"

    # The customer answers the reply from her mail program: same ticket, by the headers.
    answer = email(
        "olga@example.com",
        f"Re: {sent['Subject']}",
        "Спасибо, работает!",
        Message_ID="<answer-2@example.com>",
        In_Reply_To=sent["Message-ID"],
        References=f"{sent['References']} {sent['Message-ID']}",
    )
    deliver(dovecot, answer)
    # An auto-reply to our reply and a bounce: ignored, and nothing is sent back.
    deliver(
        dovecot,
        email(
            "olga@example.com",
            f"Автоответ: {sent['Subject']}",
            "Я в отпуске до понедельника.",
            Auto_Submitted="auto-replied",
            In_Reply_To=sent["Message-ID"],
        ),
    )
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@example.com"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce.set_content("The mail system could not deliver.")
    deliver(dovecot, bounce.as_bytes())
    out = fetch(dovecot, capsys)
    assert "replies 1" in out and "ignored 2" in out
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_STAFF
    assert list(ticket.messages.values_list("kind", flat=True)) == [
        MessageKind.CUSTOMER,
        MessageKind.STAFF,
        MessageKind.CUSTOMER,
    ]

    # Read again (as after a crash before the messages were flagged seen): nothing is added.
    count = TicketMessage.objects.count()
    mark_all_unseen(dovecot)
    out = fetch(dovecot, capsys)
    assert "Opened 0, replies 0, already read 4, ignored 2" in out
    assert TicketMessage.objects.count() == count

    # By the number in the subject alone (the headers lost by a mail program).
    deliver(dovecot, email("olga@example.com", f"[{ticket.number}] ещё вопрос", "И про почту."))
    # A stranger quoting the number opens a ticket of their own.
    deliver(dovecot, email("evil@elsewhere.org", f"Re: [{ticket.number}]", "Дайте пароль"))
    out = fetch(dovecot, capsys)
    assert "Opened 1, replies 1" in out
    assert ticket.messages.count() == 4
    assert not ticket.messages.filter(text__contains="пароль").exists()
    assert Ticket.objects.get(email="evil@elsewhere.org").billing_account is None
    # No email ever went to the auto-responder, the bounce or the strangers.
    replies = OutboxEmail.objects.filter(template="support_reply")
    assert sorted(replies.values_list("to_email", flat=True)) == [
        "olga.home@mail.example",
        "olga@example.com",
    ]
    deliver_due()
    assert len([m for m in smtp.messages if "[T-" in str(m["Subject"])]) == 2
