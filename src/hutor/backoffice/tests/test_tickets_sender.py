"""An unknown sender's email and the account it speaks of: the inbound function puts the ticket
on the one account the quoted numbers lead to (by the desk search), marked "sender not
verified"; the desk warns, suggests the accounts, attaches and verifies (support only, audited);
replies keep going to the sender."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client
from django.utils import translation

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.search import accounts_in_text
from hutor.backoffice.tests.conftest import desk_session
from hutor.notifications.models import OutboxEmail
from hutor.support import actions, inbound
from hutor.support.exceptions import SupportError
from hutor.support.models import Ticket
from hutor.support.tests.data import department

pytestmark = pytest.mark.django_db


def email(sender: str, subject: str, text: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@hutor.test"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def stranger_ticket(text: str, subject: str = "Вопрос", sender: str = "who@elsewhere.org"):
    department()
    outcome = inbound.receive(email(sender, subject, text))
    assert outcome.result == inbound.Result.OPENED
    return Ticket.objects.get(pk=outcome.ticket.pk)


def test_an_unknown_sender_quoting_an_account_number_opens_an_unverified_ticket_on_it(world):
    acc = world.account
    ticket = stranger_ticket(f"Здравствуйте! Мой лицевой счёт {acc.number}, сайт не работает.")
    assert ticket.billing_account == acc and ticket.sender_verified is False
    # Replies go to whoever wrote, not to the account's contact.
    assert ticket.email == "who@elsewhere.org" and ticket.reply_to == "who@elsewhere.org"
    assert ticket.language == acc.language
    # The account's owner does not see a stranger's ticket in the panel.
    panel = Client()
    panel.force_login(acc.user)
    assert panel.get(f"/panel/support/{ticket.number}/").status_code == 404
    assert ticket.number not in panel.get("/panel/support/").content.decode()


def test_an_invoice_payment_or_domain_quoted_leads_to_the_account_too(world):
    acc = world.account
    by_invoice = stranger_ticket("Оплатил счёт", subject=f"Счёт № {world.unpaid_invoice.number}")
    by_payment = stranger_ticket(f"Платёж {world.payment.number} не зачислен")
    by_domain = stranger_ticket("Не открывается https://romashka.ru/index.php")
    for ticket in (by_invoice, by_payment, by_domain):
        assert ticket.billing_account == acc and not ticket.sender_verified


def test_numbers_of_two_accounts_or_none_leave_the_ticket_without_an_account(
    world, account_factory
):
    other = account_factory(email="ivan@example.com", name="Иван")
    both = stranger_ticket(f"Аккаунты {world.account.number} и {other.number}")
    assert both.billing_account is None and both.email == "who@elsewhere.org"
    assert both.sender_verified  # nothing to verify: no account
    # A mistyped number (check digit fails), a ticket number, a name, an email: nothing.
    wrong = world.account.number[:-1] + str((int(world.account.number[-1]) + 1) % 10)
    text = f"Счёт {wrong}, как в T-10001, Ромашка, olga@example.com, ошибка 502"
    assert stranger_ticket(text).billing_account is None
    found = accounts_in_text(f"{world.account.number} и снова {world.account.number}")
    assert [q.account for q in found] == [world.account]
    assert found[0].words == (world.account.number,)


def test_a_known_sender_is_verified_and_answered_at_the_account_address(world):
    department()
    outcome = inbound.receive(email("Olga@Example.com", "Помогите", "Текст"))
    ticket = outcome.ticket
    assert ticket.billing_account == world.account and ticket.sender_verified
    assert ticket.email == "" and ticket.reply_to == world.account.contact_email


def test_the_desk_warns_suggests_attaches_and_verifies(world, account_factory, staff_factory):
    acc = world.account
    other = account_factory(email="ivan@example.com", name="Иван Петров")
    ticket = stranger_ticket(f"Счёт {acc.number} или {other.number}?")
    assert ticket.billing_account is None
    url = f"/desk/tickets/{ticket.number}/"

    # Every desk role reads the suggestions (roles are cumulative: each may act as support);
    # a customer's login is sent to the desk login and changes nothing.
    for role in (Role.SALES, Role.ACCOUNTANT):
        page = desk_session(Client(), staff_factory(role)).get(url).content.decode()
        assert 'data-testid="quoted-accounts"' in page
        assert acc.number in page and other.number in page
    customer = Client()
    customer.force_login(acc.user)
    for action, data in [
        ("attach", {"account": acc.number, "confirm": "yes"}),
        ("verify", {"confirm": "yes"}),
    ]:
        assert customer.post(url + f"{action}/", data)["Location"].startswith("/desk/login/")
    ticket.refresh_from_db()
    assert ticket.billing_account is None

    support = staff_factory(Role.SUPPORT)
    desk = desk_session(Client(), support)
    page = desk.get(url).content.decode()
    assert 'data-testid="attach-form"' in page and 'data-testid="no-account"' in page
    # Unconfirmed, or a number of no account: refused with a message, nothing changes.
    response = desk.post(url + "attach/", {"account": acc.number}, follow=True)
    assert "Tick the box" in response.content.decode() or "Отметьте" in response.content.decode()
    desk.post(url + "attach/", {"account": "1234567", "confirm": "yes"})
    ticket.refresh_from_db()
    assert ticket.billing_account is None and not AuditEntry.objects.filter(action="ticket.attach")

    desk.post(url + "attach/", {"account": acc.number, "confirm": "yes"})
    ticket.refresh_from_db()
    assert ticket.billing_account == acc and not ticket.sender_verified
    entry = AuditEntry.objects.get(action="ticket.attach")
    assert entry.staff == support and entry.reason == ticket.number
    assert entry.changes["account"] == {"from": None, "to": acc.number}
    page = desk.get(url).content.decode()
    assert 'data-testid="sender-unverified"' in page and "who@elsewhere.org" in page
    # The other quoted account is still suggested (the attached one is not).
    assert 'data-testid="verify-form"' in page and other.number in page

    # A reply before verification goes to the sender, not the account's contact.
    desk.post(url + "reply/", {"reply-text": "Подтвердите, пожалуйста, что вы владелец."})
    sent = OutboxEmail.objects.get(template="support_reply", params__ticket=ticket.number)
    assert sent.to_email == "who@elsewhere.org"

    desk.post(url + "verify/", {"confirm": "yes"})
    ticket.refresh_from_db()
    assert ticket.sender_verified and ticket.reply_to == "who@elsewhere.org"
    entry = AuditEntry.objects.get(action="ticket.verify")
    assert entry.billing_account == acc and entry.changes["sender_verified"]["to"] is True
    page = desk.get(url).content.decode()
    assert 'data-testid="sender-unverified"' not in page
    assert 'data-testid="account-check"' not in page
    # Verified on an account: attaching again or verifying twice is refused.
    with translation.override("en"), pytest.raises(SupportError, match="verified"):
        actions.verify_sender(ticket=ticket)
    response = desk.post(url + "attach/", {"account": other.number, "confirm": "yes"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.billing_account == acc
    assert AuditEntry.objects.filter(action="ticket.attach").count() == 1


def test_an_unverified_ticket_may_be_moved_to_the_right_account(world, account_factory):
    other = account_factory(email="ivan@example.com", name="Иван")
    ticket = stranger_ticket(f"Мой аккаунт {world.account.number}")
    assert ticket.billing_account == world.account
    moved = actions.attach_account(ticket=ticket, account=other)
    assert moved.billing_account == other and not moved.sender_verified
    # Attached to the account whose contact the sender is: verified at once.
    own = stranger_ticket("Без номера", sender="ivan@example.com")
    assert own.billing_account == other and own.sender_verified  # known sender
    third = stranger_ticket("Пишу с личной почты", sender="ivan.personal@example.net")
    assert third.billing_account is None
    other.contact_email = "ivan.personal@example.net"
    other.save(update_fields=["contact_email"])
    assert actions.attach_account(ticket=third, account=other).sender_verified
