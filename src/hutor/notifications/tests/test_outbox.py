import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from hutor.notifications.actions import RETRY_DELAYS, deliver_due, enqueue, resend
from hutor.notifications.models import EmailStatus, OutboxEmail
from hutor.notifications.registry import RenderedEmail, register

pytestmark = pytest.mark.django_db


@register("test_hello")
def render_hello(email: OutboxEmail) -> RenderedEmail:
    return RenderedEmail(subject=f"Hello {email.params['name']}", text="plain", html="<p>html</p>")


def test_an_email_is_queued_once_per_key_and_delivered_once():
    enqueue(key="k1", template="test_hello", to_email="a@example.com", params={"name": "A"})
    enqueue(key="k1", template="test_hello", to_email="a@example.com", params={"name": "A"})
    assert OutboxEmail.objects.count() == 1
    assert deliver_due().sent == 1
    assert deliver_due().sent == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Hello A" and message.to == ["a@example.com"]
    assert message.alternatives[0][1] == "text/html"
    email = OutboxEmail.objects.get()
    assert email.status == EmailStatus.SENT and email.subject == "Hello A"
    assert message.extra_headers["Message-ID"] == email.message_id


def test_a_failing_server_is_retried_with_backoff_then_given_up():
    start = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        email = enqueue(
            key="k2", template="test_hello", to_email="b@example.com", params={"name": "B"}
        )
        with mock.patch(
            "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("refused")
        ):
            assert deliver_due().retried == 1
            email.refresh_from_db()
            assert email.status == EmailStatus.PENDING and "refused" in email.last_error
            assert email.next_attempt_at == start + RETRY_DELAYS[0]
            assert deliver_due().retried == 0  # not due yet
            for delay in RETRY_DELAYS[:-1]:
                clock.shift(delay)
                deliver_due()
            clock.shift(RETRY_DELAYS[-1])
            assert deliver_due().failed == 1
        email.refresh_from_db()
        assert email.status == EmailStatus.FAILED
        assert email.attempts == len(RETRY_DELAYS) + 1
        resend(email=email)
        assert deliver_due().sent == 1
    assert OutboxEmail.objects.filter(status=EmailStatus.SENT).count() == 1


def test_a_claimed_email_left_by_a_crashed_worker_is_retried_after_its_lease():
    start = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        enqueue(key="k3", template="test_hello", to_email="c@example.com", params={"name": "C"})
        from hutor.notifications.actions import OUTBOX

        assert OUTBOX.claim(OutboxEmail.objects.get().pk) is not None  # the worker dies here
        assert deliver_due().sent == 0
        clock.shift(dt.timedelta(minutes=6))
        assert deliver_due().sent == 1


def test_worker_once_delivers_and_reports(capsys):
    enqueue(key="k4", template="test_hello", to_email="d@example.com", params={"name": "D"})
    call_command("worker", "--once")
    assert "1 sent" in capsys.readouterr().out
    assert len(mail.outbox) == 1
