"""Queueing and delivering customer emails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext as _

from hutor.core import clock, statements
from hutor.core.queue import Finished, Queue
from hutor.core.rows import RowWriter
from hutor.notifications.exceptions import NotificationError
from hutor.notifications.models import EmailStatus, OutboxEmail
from hutor.notifications.registry import renderer_for

if TYPE_CHECKING:
    from hutor.accounts.actions import Payer
    from hutor.accounts.models import BillingAccount


def enqueue(
    *,
    key: str,
    template: str,
    billing_account: BillingAccount | None = None,
    to_email: str | None = None,
    language: str | None = None,
    params: dict[str, Any] | None = None,
) -> OutboxEmail:
    """Queue an email in the caller's transaction; the same `key` is queued only once."""
    now = clock.now()
    to = to_email or (billing_account.contact_email if billing_account else "")
    if not to:
        raise ValueError("an email needs a recipient")
    OutboxEmail.objects.bulk_create(
        [
            OutboxEmail(
                key=key,
                template=template,
                to_email=to,
                language=language or (billing_account.language if billing_account else "ru"),
                params=params or {},
                billing_account=billing_account,
                next_attempt_at=now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return OutboxEmail.objects.get(key=key)


# The outbox as a job queue (core.queue): a claimed email stays pending, its lease alone
# keeps other workers off it; after the last retry it is failed, for staff to see and retry.
OUTBOX: Queue[OutboxEmail] = Queue(
    model=OutboxEmail,
    name="email",
    pending=EmailStatus.PENDING,
    failed=EmailStatus.FAILED,
    lease=dt.timedelta(minutes=5),
)
RETRY_DELAYS = OUTBOX.delays
CLAIM_LEASE = OUTBOX.lease


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due(*, limit: int = 100) -> DeliveryReport:
    """Deliver pending emails whose time has come.

    Each email is claimed from the outbox queue (core.queue: a short transaction, SKIP LOCKED
    on PostgreSQL), sent outside any transaction (a slow mail server never holds a database
    lock), then marked sent. A worker that dies between sending and marking leaves the email to
    be retried when the lease ends; the resend carries the same Message-ID, so mail systems can
    tell it is the same message.
    """
    report = OUTBOX.run_due(_deliver, limit=limit)
    return DeliveryReport(
        sent=report.finished[EmailStatus.SENT], retried=report.retried, failed=report.failed
    )


def _deliver(email: OutboxEmail) -> Finished:
    subject = _send(email)
    return Finished(EmailStatus.SENT, {"subject": subject[:300], "sent_at": clock.now()})


def _send(email: OutboxEmail) -> str:
    with translation.override(email.language):
        rendered = renderer_for(email.template)(email)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        headers={**rendered.headers, "Message-ID": email.message_id},
    )
    message.attach_alternative(rendered.html, "text/html")
    for attachment in rendered.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send(fail_silently=False)
    return rendered.subject


def resend(*, email: OutboxEmail) -> OutboxEmail:
    """Queue a fresh copy of an email (staff action); the original row stays as history."""
    copies = OutboxEmail.objects.filter(key__startswith=f"{email.key}#resend-").count()
    return enqueue(
        key=f"{email.key}#resend-{copies + 1}",
        template=email.template,
        billing_account=email.billing_account,
        to_email=email.to_email,
        language=email.language,
        params=email.params,
    )


def retry(*, email: OutboxEmail) -> OutboxEmail:
    """Send an email that failed for good back to the worker, with a fresh set of tries (staff
    action): the same row and Message-ID, as it was never delivered."""
    requeued = OUTBOX.requeue(email.pk)
    if requeued is None:
        raise NotificationError(_("Only an email that failed can be retried."))
    return requeued


@dataclass(frozen=True)
class EmailDraft:
    """One email for enqueue_many(): the arguments enqueue() takes with a billing account (an
    instance, or a batch's record: accounts.actions.AccountRecord)."""

    key: str
    template: str
    billing_account: Payer
    language: str
    params: dict[str, Any]


def enqueue_many(
    *,
    emails: Sequence[EmailDraft],
    insert: RowWriter | None = None,
) -> None:
    """enqueue() for many emails at once (the billing run's invoices): the same rows, written
    in the caller's transaction, each key queued only once.

    `insert`, if given (the billing run's row writer: COPY, executemany), writes the rows as
    plain tuples, leaving out a key already queued, instead of bulk_create(ignore_conflicts).
    """
    if not emails:
        return
    now = clock.now()
    if insert is not None:
        insert.rows(
            OutboxEmail,
            _ROW,
            [
                (
                    email.key,
                    email.template,
                    email.billing_account.contact_email,
                    email.language,
                    email.params,
                    email.billing_account.pk,
                    now,
                    now,
                )
                for email in emails
            ],
            skip_existing="key",
        )
        return
    # By hand (core.statements): a payment's credit queues its email here, and the ORM's
    # building of the INSERT cost more than sending it. The same row bulk_create() would write.
    statements.insert(
        OutboxEmail,
        [
            {
                "key": email.key,
                "template": email.template,
                "to_email": email.billing_account.contact_email,
                "language": email.language,
                "params": email.params,
                "billing_account_id": email.billing_account.pk,
                "next_attempt_at": now,
                "created_at": now,
            }
            for email in emails
        ],
        skip_conflicts=True,
    )


# The fields enqueue_many() gives a row (the others take their defaults: pending, no attempt).
_ROW = (
    "key",
    "template",
    "to_email",
    "language",
    "params",
    "billing_account_id",
    "next_attempt_at",
    "created_at",
)


def withdraw(*, key: str) -> bool:
    """Take back a queued email that no worker has tried yet (pending, no attempt), in the
    caller's transaction; one a worker has claimed or sent stays. Returns whether it was
    withdrawn. (An invoice paid before its "issued" email went out is announced once, as
    paid: invoices.emails.queue_paid_email.)"""
    deleted, _ = OutboxEmail.objects.filter(
        key=key, status=EmailStatus.PENDING, attempts=0
    ).delete()
    return bool(deleted)


def withdraw_many(*, keys: Sequence[str]) -> int:
    """withdraw() for many keys in one statement; returns how many emails were withdrawn."""
    if not keys:
        return 0
    deleted, _ = OutboxEmail.objects.filter(
        key__in=keys, status=EmailStatus.PENDING, attempts=0
    ).delete()
    return deleted
