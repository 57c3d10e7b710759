"""The steps of the daily billing run, and the service lifecycle transitions they make.

Each step finds its work from the current state of the data and processes each item in its
own transaction, so a run can be killed at any moment and rerun: what was committed is not
done again (state checks under row locks, unique keys), and what was not is done by the
rerun. The renewal step, the one with volume, is in renewals.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from hutor.billing.calculations import (
    REMINDER_LATE_DAYS,
    expiry_due,
    reminder_offset,
    suspension_due,
    termination_due,
)
from hutor.billing.report import StepReport
from hutor.catalog.models import ServiceType, Tariff, TariffPrice
from hutor.core import clock
from hutor.invoices.actions import settle_open_invoices
from hutor.invoices.models import Invoice, InvoiceStatus, LineKind
from hutor.ledger.models import LedgerAccount
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import expire_payments
from hutor.services import expiry, lifecycle
from hutor.services.actions import cancel_order, open_renewal, renew
from hutor.services.exceptions import ServiceNotPending
from hutor.services.models import Service, ServiceEvent, ServiceStatus

T = TypeVar("T")
RUN = ServiceEvent.Actor.BILLING_RUN
CHUNK = 500


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _expiring_type_ids() -> list[int]:
    """Service types that expire instead of being suspended (domains)."""
    return list(
        ServiceType.objects.filter(code__in=settings.HUTOR_BILLING_EXPIRING_TYPES).values_list(
            "pk", flat=True
        )
    )


# --- Transitions --------------------------------------------------------------------------------


def _locked(service_id: int) -> Service | None:
    """The service locked for a transition (services.lifecycle.lock: its billing account
    first, then the service), or None when it is gone."""
    if not Service.objects.filter(pk=service_id).exists():
        return None
    return lifecycle.lock(service_id)


def suspend_service(*, service_id: int, today: dt.date) -> bool:
    """Suspend an active service still unpaid `HUTOR_BILLING_GRACE_DAYS` past paid-until
    (services.lifecycle "suspend": the day noted, a "suspend" provisioning task queued).
    Returns False, changing nothing, when that no longer applies (paid meanwhile)."""
    with transaction.atomic():
        service = _locked(service_id)
        if (
            service is None
            or not lifecycle.allowed(service, "suspend")
            or service.paid_until is None
            or service.service_type.code in settings.HUTOR_BILLING_EXPIRING_TYPES
            or not suspension_due(
                today=today,
                paid_until=service.paid_until,
                grace_days=settings.HUTOR_BILLING_GRACE_DAYS,
            )
        ):
            return False
        lifecycle.move(service, "suspend", actor=RUN, today=today)
    return True


def expire_service(*, service_id: int, today: dt.date) -> bool:
    """A domain unpaid at paid-until expires (services.lifecycle "expire": no provisioning
    call, the registrar lets it expire by itself). Returns False when that no longer applies."""
    with transaction.atomic():
        service = _locked(service_id)
        if (
            service is None
            or not lifecycle.allowed(service, "expire")
            or service.paid_until is None
            or service.service_type.code not in settings.HUTOR_BILLING_EXPIRING_TYPES
            or not expiry_due(today=today, paid_until=service.paid_until)
        ):
            return False
        lifecycle.move(service, "expire", actor=RUN, today=today)
    return True


def terminate_service(*, service_id: int, today: dt.date) -> bool:
    """Terminate a service suspended (a domain expired) for HUTOR_BILLING_TERMINATE_AFTER_DAYS
    (services.lifecycle "terminate": its unpaid invoices for it alone cancelled, auto-renew
    off, a "terminate" task queued). Returns False when that no longer applies (paid and
    reactivated meanwhile)."""
    with transaction.atomic():
        service = _locked(service_id)
        if service is None or service.status not in (
            ServiceStatus.SUSPENDED,
            ServiceStatus.EXPIRED,
        ):
            return False
        if service.status == ServiceStatus.EXPIRED:
            # A domain: gone once past its zone's grace and redemption periods.
            if expiry.phase(service, today) != expiry.Phase.GONE:
                return False
            lifecycle.move(service, "terminate", actor=RUN, today=today)
            return True
        lapsed_on = service.lapsed_on or service.paid_until
        if lapsed_on is None or not termination_due(
            today=today,
            lapsed_on=lapsed_on,
            after_days=settings.HUTOR_BILLING_TERMINATE_AFTER_DAYS,
        ):
            return False
        lifecycle.move(service, "terminate", actor=RUN, today=today)
    return True


def into_redemption(*, today: dt.date, report: StepReport) -> None:
    """Expired domains in their registry's redemption period whose renewal invoice (or, when
    they auto-renew, lack of one) does not carry the zone's restore fee: the renewal is issued
    again with it (services.actions.renew, which withdraws the one for the renewal alone), so
    what the customer pays is what the registry will charge."""
    services = (
        Service.objects.filter(
            status=ServiceStatus.EXPIRED,
            service_type_id__in=_expiring_type_ids(),
            tariff__redemption_days__gt=0,
        )
        .select_related("tariff", "service_type", "billing_account")
        .order_by("pk")
    )
    for service in services:
        if expiry.phase(service, today) != expiry.Phase.REDEMPTION:
            continue
        price = TariffPrice.objects.filter(
            tariff_id=service.tariff_id,
            period_months=service.period_months,
            currency=service.billing_account.currency,
            is_active=True,
            restore_fee__gt=0,
        ).first()
        if price is None:
            continue
        invoice = open_renewal(service)
        if invoice is None and not service.auto_renew:
            continue  # the customer renews from the panel, and is shown the restore fee there
        if invoice is not None and invoice.lines.filter(kind=LineKind.RESTORE).exists():
            continue
        try:
            invoice = renew(service=service, price=price)
        except Exception as exc:
            report.error(f"service {service.pk}", exc)
        else:
            report.add("reissued")
            report.example(f"service {service.pk} {service.identifier}: invoice {invoice.number}")


# --- Steps --------------------------------------------------------------------------------------


def expire_stale_payments(*, today: dt.date, report: StepReport) -> None:
    """Pending payments past their lifetime are marked expired (payments.actions)."""
    report.add("expired", expire_payments(now=clock.now()))


def settle_from_balances(*, today: dt.date, report: StepReport) -> None:
    """Accounts with unpaid invoices and a balance that covers at least the smallest of them
    are settled (invoices.actions.settle_open_invoices: oldest first, while it covers)."""
    accounts = list(
        LedgerAccount.objects.filter(
            billing_account__invoices__status=InvoiceStatus.UNPAID, balance__gt=0
        )
        .annotate(smallest=Min("billing_account__invoices__total"))
        .filter(balance__gte=F("smallest"))
        .select_related("billing_account")
        .order_by("billing_account_id")
    )
    report.add("accounts", len(accounts))
    for done, ledger_account in enumerate(accounts, start=1):
        account = ledger_account.billing_account
        assert account is not None
        try:
            paid = settle_open_invoices(billing_account=account)
        except Exception as exc:
            report.error(f"billing account {account.number}", exc)
        else:
            report.add("paid", len(paid))
            for invoice in paid:
                report.example(f"account {account.number}: invoice {invoice.number} paid")
        report.advance(done, len(accounts))


def cancel_stale_orders(*, today: dt.date, report: StepReport) -> None:
    """Orders still unpaid HUTOR_BILLING_CANCEL_ORDERS_AFTER_DAYS after the day they were
    placed are cancelled (services.actions.cancel_order: invoice cancelled, number kept)."""
    days = settings.HUTOR_BILLING_CANCEL_ORDERS_AFTER_DAYS
    cutoff = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min)
    )
    services = list(
        Service.objects.filter(status=ServiceStatus.PENDING, created_at__lt=cutoff)
        .select_related("billing_account")
        .order_by("pk")
    )
    for done, service in enumerate(services, start=1):
        try:
            cancel_order(service=service, actor=RUN)
        except ServiceNotPending:
            report.add("paid_meanwhile")
        except Exception as exc:
            report.error(f"service {service.pk}", exc)
        else:
            report.add("cancelled")
            report.example(f"service {service.pk} {service.identifier}: order cancelled")
        report.advance(done, len(services))


def send_reminders(*, today: dt.date, report: StepReport) -> None:
    """Remind of unpaid invoices at HUTOR_BILLING_REMINDER_DAYS days from their due date: at
    most one reminder per invoice and offset, by the outbox's unique key
    `reminder:<invoice>:<offset>`. Not on the day the invoice itself was mailed."""
    offsets = settings.HUTOR_BILLING_REMINDER_DAYS
    if not offsets:
        return
    earliest = today - dt.timedelta(days=max(offsets) + REMINDER_LATE_DAYS)
    latest = today - dt.timedelta(days=min(offsets))
    invoices = (
        Invoice.objects.filter(
            status=InvoiceStatus.UNPAID,
            issue_date__lt=today,
            due_date__gte=earliest,
            due_date__lte=latest,
        )
        .select_related("billing_account")
        .order_by("pk")
    )
    now = clock.now()
    emails: list[OutboxEmail] = []
    for invoice in invoices:
        offset = reminder_offset(
            today=today, issue_date=invoice.issue_date, due_date=invoice.due_date, offsets=offsets
        )
        if offset is None:
            continue
        emails.append(
            OutboxEmail(
                key=f"reminder:{invoice.number}:{offset}",
                template="invoice_reminder",
                to_email=invoice.billing_account.contact_email,
                language=invoice.language,
                params={"invoice": invoice.number, "offset": offset},
                billing_account=invoice.billing_account,
                next_attempt_at=now,
                created_at=now,
            )
        )
    done = 0
    for chunk in _chunks(emails):
        with transaction.atomic():
            sent = set(
                OutboxEmail.objects.filter(key__in=[e.key for e in chunk]).values_list(
                    "key", flat=True
                )
            )
            new = [e for e in chunk if e.key not in sent]
            # ON CONFLICT DO NOTHING: a run beside this one queues each reminder once too.
            OutboxEmail.objects.bulk_create(new, ignore_conflicts=True)
        report.add("queued", len(new))
        report.add("already", len(chunk) - len(new))
        for email in new:
            report.example(
                f"invoice {email.params['invoice']}: reminder, {email.params['offset']:+d} days"
            )
        done += len(chunk)
        report.advance(done, len(emails))


def lapse_services(*, today: dt.date, report: StepReport) -> None:
    """Suspend services unpaid HUTOR_BILLING_GRACE_DAYS past paid-until; expire domains
    (HUTOR_BILLING_EXPIRING_TYPES) unpaid at paid-until."""
    expiring = _expiring_type_ids()
    grace = dt.timedelta(days=settings.HUTOR_BILLING_GRACE_DAYS)
    to_suspend = list(
        Service.objects.filter(status=ServiceStatus.ACTIVE, paid_until__lte=today - grace)
        .exclude(service_type_id__in=expiring)
        .order_by("pk")
        .values_list("pk", "identifier")
    )
    to_expire = list(
        Service.objects.filter(
            status=ServiceStatus.ACTIVE, paid_until__lte=today, service_type_id__in=expiring
        )
        .order_by("pk")
        .values_list("pk", "identifier")
    )
    total = len(to_suspend) + len(to_expire)
    done = 0
    for items, action, word in (
        (to_suspend, suspend_service, "suspended"),
        (to_expire, expire_service, "expired"),
    ):
        for service_id, identifier in items:
            try:
                changed = action(service_id=service_id, today=today)
            except Exception as exc:
                report.error(f"service {service_id}", exc)
            else:
                if changed:
                    report.add(word)
                    report.example(f"service {service_id} {identifier}: {word}")
            done += 1
            report.advance(done, total)


def _gone_domains(today: dt.date) -> Q:
    """Expired domains past their zone's grace and redemption periods (services.expiry)."""
    default = settings.HUTOR_BILLING_TERMINATE_AFTER_DAYS
    condition = Q(pk__in=[])
    for days, redemption in (
        Tariff.objects.filter(service__status=ServiceStatus.EXPIRED)
        .values_list("grace_days", "redemption_days")
        .distinct()
    ):
        end = (default if days is None else days) + redemption
        zone = Q(tariff__grace_days=days) if days is not None else Q(tariff__grace_days=None)
        condition |= zone & Q(
            tariff__redemption_days=redemption, paid_until__lte=today - dt.timedelta(days=end)
        )
    return Q(status=ServiceStatus.EXPIRED) & condition


def terminate_lapsed(*, today: dt.date, report: StepReport) -> None:
    """Terminate services suspended HUTOR_BILLING_TERMINATE_AFTER_DAYS ago, and expired domains
    past their zone's grace and redemption periods."""
    cutoff = today - dt.timedelta(days=settings.HUTOR_BILLING_TERMINATE_AFTER_DAYS)
    suspended = Q(status=ServiceStatus.SUSPENDED) & (
        Q(lapsed_on__lte=cutoff) | Q(lapsed_on__isnull=True, paid_until__lte=cutoff)
    )
    items = list(
        Service.objects.filter(suspended | _gone_domains(today))
        .order_by("pk")
        .values_list("pk", "identifier")
    )
    for done, (service_id, identifier) in enumerate(items, start=1):
        try:
            changed = terminate_service(service_id=service_id, today=today)
        except Exception as exc:
            report.error(f"service {service_id}", exc)
        else:
            if changed:
                report.add("terminated")
                report.example(f"service {service_id} {identifier}: terminated")
        report.advance(done, len(items))
