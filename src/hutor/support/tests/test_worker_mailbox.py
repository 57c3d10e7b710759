"""`hutor worker` reads the support mailbox when HUTOR_SUPPORT_IMAP_URL is set, through the
function `hutor support_fetch_mail` uses, against a real Dovecot; a mailbox that cannot be
read is logged and does not stop the worker or its other work."""

from __future__ import annotations

import io
import logging
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from hutor.support.models import Ticket
from hutor.support.tests.data import department
from hutor.testing_dovecot import deliver, running_dovecot
from hutor.testing_pdns import free_port

pytestmark = pytest.mark.django_db


def worker_once() -> str:
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


def test_the_worker_reads_the_mailbox_into_tickets(settings, account_factory):
    department()
    olga = account_factory(email="olga@example.com", notify=False)
    message = EmailMessage()
    message["From"] = "olga@example.com"
    message["Subject"] = "Сайт не работает"
    message["Message-ID"] = "<worker-1@example.com>"
    message.set_content("Ошибка 502 с утра.")
    with running_dovecot() as dovecot:
        deliver(dovecot, message.as_bytes())
        settings.HUTOR_SUPPORT_IMAP_URL = dovecot.url
        out = worker_once()
        assert "support mailbox: 1 opened, 0 replies" in out
        ticket = Ticket.objects.get()
        assert ticket.billing_account == olga and ticket.subject == "Сайт не работает"
        # The next round finds nothing new (the message was flagged \Seen).
        assert "support mailbox: 0 opened, 0 replies" in worker_once()
    assert Ticket.objects.count() == 1


def test_without_a_mailbox_the_worker_does_not_read_one(settings):
    settings.HUTOR_SUPPORT_IMAP_URL = ""
    assert "support mailbox" not in worker_once()


def test_a_mailbox_that_cannot_be_read_is_logged_and_the_worker_goes_on(
    settings, account_factory, caplog
):
    # Nobody listens on this port: the connection is refused.
    settings.HUTOR_SUPPORT_IMAP_URL = f"imap://u:p@127.0.0.1:{free_port()}/INBOX"
    account_factory(email="ivan@example.com")  # queues the "account opened" email
    with caplog.at_level(logging.ERROR, logger="hutor.worker"):
        out = worker_once()
    assert "emails: 1 sent" in out  # the other work was done
    assert "support mailbox" not in out
    assert any("support mailbox: reading failed" in r.getMessage() for r in caplog.records)
    # A broken URL is the same: logged, never a crash.
    settings.HUTOR_SUPPORT_IMAP_URL = "http://not-a-mailbox/"
    with caplog.at_level(logging.ERROR, logger="hutor.worker"):
        worker_once()
    assert sum("reading failed" in r.getMessage() for r in caplog.records) == 2
