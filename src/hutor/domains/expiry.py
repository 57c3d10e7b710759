"""Announcing domains near their expiry (the domain.expiring event), from the daily run.

A domain (a service of HUTOR_BILLING_EXPIRING_TYPES) still active whose paid-until date is at
most HUTOR_DOMAIN_EXPIRING_DAYS away is announced once per paid-until date (the event's key):
a renewal paid moves the date, and the next approach is announced again. Paid-until is the date
the registration is paid to; the registry's own date, as last synced (domains.sync), goes with
it. Only the database is read and written, so a dry run of the daily run rolls it back too.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from hutor.core.events import EventDraft, EventKind, publish_many
from hutor.invoices.models import InvoiceStatus
from hutor.services import events as service_events
from hutor.services.models import Service, ServiceStatus

BATCH = 500


def expiring(today: dt.date) -> list[Service]:
    """Active domains paid until no later than the announcing horizon (earliest first)."""
    horizon = today + dt.timedelta(days=settings.HUTOR_DOMAIN_EXPIRING_DAYS)
    return list(
        Service.objects.filter(
            status=ServiceStatus.ACTIVE,
            service_type__code__in=settings.HUTOR_BILLING_EXPIRING_TYPES,
            paid_until__gte=today,
            paid_until__lte=horizon,
        )
        .select_related("billing_account", "service_type", "tariff", "domain_details")
        .order_by("paid_until", "pk")
    )


def announce_expiring(*, today: dt.date) -> int:
    """Publish domain.expiring for each domain newly in the horizon; returns how many."""
    services = expiring(today)
    published = 0
    for start in range(0, len(services), BATCH):
        chunk = services[start : start + BATCH]
        with transaction.atomic():
            published += len(publish_many([_draft(service, today) for service in chunk]))
    return published


def _draft(service: Service, today: dt.date) -> EventDraft:
    assert service.paid_until is not None  # filtered on it
    details = getattr(service, "domain_details", None)
    renewal = (
        service.invoice_lines.filter(invoice__status=InvoiceStatus.UNPAID)
        .values_list("invoice__number", flat=True)
        .order_by("invoice_id")
        .last()
    )
    base = service_events.draft(
        EventKind.DOMAIN_EXPIRING,
        service,
        domain=service.identifier,
        expires_on=service.paid_until,
        days_left=(service.paid_until - today).days,
        registry_expires_on=details.registry_expires_on if details is not None else None,
        renewal_invoice=renewal,
    )
    return EventDraft(
        base.kind,
        base.account_id,
        base.data,
        key=f"domain.expiring:{service.pk}:{service.paid_until.isoformat()}",
    )
