"""Queueing and delivering customer emails."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.utils import translation

from hutor.core import clock
from hutor.notifications.models import EmailStatus, OutboxEmail
from hutor.notifications.registry import renderer_for

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount

log = logging.getLogger(__name__)

# Waits between attempts; after the last one the email is marked failed for staff to see.
RETRY_DELAYS = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 720)]


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


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


# How long a claimed email is left to its worker before another may try it (a crashed worker).
CLAIM_LEASE = dt.timedelta(minutes=5)


def deliver_due(*, limit: int = 100) -> DeliveryReport:
    """Deliver pending emails whose time has come.

    Each email is first claimed in a short transaction (its next attempt moved past a lease,
    under SKIP LOCKED on PostgreSQL, so several workers share the queue), then sent outside any
    transaction (a slow mail server never holds a database lock), then marked sent. A worker
    that dies between sending and marking leaves the email to be retried when the lease ends;
    the resend carries the same Message-ID, so mail systems can tell it is the same message.
    """
    report = DeliveryReport()
    due = list(
        OutboxEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=clock.now())
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        email = _claim(pk)
        if email is None:
            continue  # another worker has it, or it was sent meanwhile
        try:
            subject = _send(email)
        except Exception as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts > len(RETRY_DELAYS):
                email.status = EmailStatus.FAILED
                report.failed += 1
                log.error("email %s to %s failed for good: %s", pk, email.to_email, exc)
            else:
                email.next_attempt_at = clock.now() + RETRY_DELAYS[email.attempts - 1]
                report.retried += 1
                log.warning("email %s to %s will be retried: %s", pk, email.to_email, exc)
            email.save(update_fields=["last_error", "status", "next_attempt_at"])
            continue
        email.status = EmailStatus.SENT
        email.subject = subject[:300]
        email.sent_at = clock.now()
        email.last_error = ""
        email.save(update_fields=["status", "subject", "sent_at", "last_error"])
        report.sent += 1
    return report


def _claim(pk: int) -> OutboxEmail | None:
    with transaction.atomic():
        rows = OutboxEmail.objects.filter(
            pk=pk, status=EmailStatus.PENDING, next_attempt_at__lte=clock.now()
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        email = rows.first()
        if email is None:
            return None
        email.attempts += 1
        email.next_attempt_at = clock.now() + CLAIM_LEASE
        email.save(update_fields=["attempts", "next_attempt_at"])
        return email


def _send(email: OutboxEmail) -> str:
    with translation.override(email.language):
        rendered = renderer_for(email.template)(email)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        headers={"Message-ID": email.message_id},
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


@dataclass(frozen=True)
class EmailDraft:
    """One email for enqueue_many(): the arguments enqueue() takes with a billing account."""

    key: str
    template: str
    billing_account: BillingAccount
    language: str
    params: dict[str, Any]


def enqueue_many(
    *,
    emails: Sequence[EmailDraft],
    insert: Callable[[list[OutboxEmail]], None] | None = None,
) -> None:
    """enqueue() for many emails at once (the billing run's invoices): the same rows, written
    in the caller's transaction, each key queued only once.

    `insert`, if given, writes the new rows instead of bulk_create(ignore_conflicts=True) (the
    billing run's COPY on PostgreSQL) and must leave out a row whose key is already queued.
    """
    if not emails:
        return
    now = clock.now()
    rows = [
        OutboxEmail(
            key=email.key,
            template=email.template,
            to_email=email.billing_account.contact_email,
            language=email.language,
            params=email.params,
            billing_account_id=email.billing_account.pk,
            next_attempt_at=now,
            created_at=now,
        )
        for email in emails
    ]
    if insert is not None:
        insert(rows)
    else:
        OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True)
