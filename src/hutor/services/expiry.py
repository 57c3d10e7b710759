"""A domain's dates against its registry's: the service side of the daily registry sync
(domains/sync.py), and the phases of an expired domain (grace, redemption) with what each costs.

The registry's expiry date is the truth about a domain. Billing's paid-until follows it where
the two differ by what registries differ by on their own (a registration done a day later, in
the registry's time zone: HUTOR_DOMAIN_SYNC_ALIGN_DAYS), and a paid renewal that never reached
the registry (its expiry a whole year or more before paid-until) is sent there again. Anything
else (the registry keeping a domain longer than paid for, an odd gap) is left for staff: a
registry's own auto-renewal is not a payment, and billing's date moves only for money.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction

from hutor.catalog.models import TariffPrice
from hutor.core import clock
from hutor.core.money import Money
from hutor.services import lifecycle
from hutor.services.models import (
    EventCode,
    ProvisioningStatus,
    ProvisioningTask,
    Service,
    ServiceEvent,
    ServiceStatus,
)

UNFINISHED = (
    ProvisioningStatus.PENDING,
    ProvisioningStatus.RUNNING,
    ProvisioningStatus.TODO,
    ProvisioningStatus.FAILED,
)


class Outcome(StrEnum):
    IN_STEP = "in_step"  # the registry and billing agree
    ALIGNED = "aligned"  # paid-until moved to the registry's date (a few days apart)
    RENEWING = "renewing"  # a renew task queued (or one already is) for the missing years
    EXPIRES_BEFORE_PAID = "expires_before_paid"  # for staff: an odd gap short of a year
    EXPIRES_AFTER_PAID = "expires_after_paid"  # for staff: the registry keeps it longer


def missing_years(expires_on: dt.date, paid_until: dt.date) -> int:
    """The whole registry years a paid-until date is ahead of the registry's expiry: 0 for a
    gap shorter than eleven months (not a lost renewal), else the gap rounded to years."""
    days = (paid_until - expires_on).days
    if days < 335:
        return 0
    return min(10, max(1, round(days / 365.25)))


def follow_registry(*, service_id: int, expires_on: dt.date) -> Outcome:
    """Bring an active domain's paid-until in step with the expiry its registry reported, in one
    transaction (the renew task, if any, runs later through the worker)."""
    with transaction.atomic():
        service = lifecycle.lock(service_id)
        paid_until = service.paid_until
        if service.status != ServiceStatus.ACTIVE or paid_until is None:
            return Outcome.IN_STEP
        gap = (paid_until - expires_on).days
        if gap == 0:
            return Outcome.IN_STEP
        if abs(gap) <= settings.HUTOR_DOMAIN_SYNC_ALIGN_DAYS:
            service.paid_until = expires_on
            service.save(update_fields=["paid_until"])
            lifecycle.record(
                service,
                EventCode.REGISTRY_DATE,
                actor=ServiceEvent.Actor.SYSTEM,
                params={"from": paid_until.isoformat(), "to": expires_on.isoformat()},
            )
            return Outcome.ALIGNED
        if gap < 0:
            return Outcome.EXPIRES_AFTER_PAID
        years = missing_years(expires_on, paid_until)
        if not years:
            return Outcome.EXPIRES_BEFORE_PAID
        unfinished = ProvisioningTask.objects.filter(
            service=service, operation="renew", status__in=UNFINISHED
        )
        if not unfinished.exists():
            lifecycle.provision(
                service=service,
                operation="renew",
                months=str(years * 12),
                years=str(years),
                expires_on=expires_on.isoformat(),
            )
        return Outcome.RENEWING


# --- An expired domain: grace, redemption, gone --------------------------------------------------


class Phase(StrEnum):
    GRACE = "grace"  # renewed at the usual price
    REDEMPTION = "redemption"  # renewed only with the registry's restore, priced on its own
    GONE = "gone"  # past both: the registry deletes it; the run terminates the service


def grace_days(service: Service) -> int:
    """Days after paid-until a domain renews at the usual price: its zone's, or the
    provider's HUTOR_BILLING_TERMINATE_AFTER_DAYS where the zone says nothing."""
    days = service.tariff.grace_days
    return settings.HUTOR_BILLING_TERMINATE_AFTER_DAYS if days is None else days


def phase(service: Service, today: dt.date | None = None) -> Phase | None:
    """Where an expired domain stands on `today`; None for a service that has not expired."""
    if service.status != ServiceStatus.EXPIRED or service.paid_until is None:
        return None
    days = ((today or clock.today()) - service.paid_until).days
    grace = grace_days(service)
    if days < grace:
        return Phase.GRACE
    if days < grace + service.tariff.redemption_days:
        return Phase.REDEMPTION
    return Phase.GONE


def days_left(service: Service) -> int:
    """Days an expired domain has before it is gone (the run terminates it)."""
    if service.paid_until is None:
        return 0
    end = grace_days(service) + service.tariff.redemption_days
    return max(0, end - (clock.today() - service.paid_until).days)


@dataclass(frozen=True)
class Standing:
    """What the customer is told of an expired domain: where it stands and until when."""

    phase: Phase
    grace_ends: dt.date  # the last day it renews at the usual price
    gone_on: dt.date  # the day the registry deletes it (the run terminates the service)
    restore_fee: Money | None  # what redemption adds, in the account's currency, if anything


def standing(service: Service) -> Standing | None:
    """The expired domain's standing, or None for a service that has not expired."""
    now_phase = phase(service)
    if now_phase is None or service.paid_until is None:
        return None
    grace = grace_days(service)
    fee = (
        TariffPrice.objects.filter(
            tariff_id=service.tariff_id,
            period_months=service.period_months,
            currency=service.billing_account.currency,
            restore_fee__gt=0,
        )
        .values_list("restore_fee", flat=True)
        .first()
    )
    return Standing(
        phase=now_phase,
        grace_ends=service.paid_until + dt.timedelta(days=grace - 1),
        gone_on=service.paid_until + dt.timedelta(days=grace + service.tariff.redemption_days),
        restore_fee=(
            Money(fee, service.billing_account.currency)
            if fee and service.tariff.redemption_days
            else None
        ),
    )
