"""Helpers of the billing run's tests (also used by the crash test's child processes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from hutor.billing.models import Renewal
from hutor.core import clock
from hutor.invoices.models import Invoice, InvoiceLine
from hutor.ledger.models import JournalEntry, LedgerAccount, Posting
from hutor.notifications.models import OutboxEmail
from hutor.payments.models import Payment
from hutor.services.models import ProvisioningTask, Service, ServiceStatus


def active_service(
    account: Any, tariff: Any, *, months: int, paid_until: dt.date, **fields: Any
) -> Service:
    fields.setdefault("status", ServiceStatus.ACTIVE)
    fields.setdefault("provisioning_module", "log")
    return Service.objects.create(
        billing_account=account,
        service_type=tariff.service_type,
        tariff=tariff,
        period_months=months,
        identifier=fields.pop("identifier", f"site{account.pk}-{tariff.pk}.ru"),
        paid_until=paid_until,
        created_at=clock.now(),
        activated_at=clock.now(),
        **fields,
    )


SNAPSHOT_MODELS: list[type[models.Model]] = [
    Invoice,
    InvoiceLine,
    JournalEntry,
    Posting,
    LedgerAccount,
    Service,
    OutboxEmail,
    ProvisioningTask,
    Renewal,
    Payment,
]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row the billing run may write, as plain values."""
    return {
        model.__name__: [tuple(row) for row in model.objects.order_by("pk").values_list()]
        for model in SNAPSHOT_MODELS
    }
