"""The daily registry sync (issue 14): the registry's expiry date is the truth about a domain,
so the billing run asks the registrar what it holds of each active domain (`info`), keeps it
on the domain's details, and brings billing in step (services.expiry.follow_registry):

    aligned               a few days apart (HUTOR_DOMAIN_SYNC_ALIGN_DAYS: a registration done a
                          day later, the registry's time zone): paid-until takes its date
    renewing              the registry's expiry a whole year or more before paid-until (a paid
                          renewal never reached it): a renew task sends the missing years

and reports the **drift** it leaves for staff:

    expires_before_paid   an odd gap short of a year: staff look at the registry
    expires_after_paid    the registry keeps it longer than paid for (renewed there by hand, or
                          by the registry's auto-renew): billing's date is left as paid, since
                          it moves only for money (staff extend it in the desk where it was paid)
    not_ours              the registry does not hold it for us any more (transferred away,
                          deleted)

The domains synced longest ago go first, at most HUTOR_DOMAIN_SYNC_PER_RUN a run, so a large
portfolio is walked over several days without hammering the registry. Each call is made outside
any transaction; one that fails is counted and left for the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F

from hutor.domains import registry
from hutor.domains.models import DomainDetails
from hutor.services import expiry
from hutor.services.models import Service, ServiceStatus
from hutor.services.provisioning import MODULES
from hutor.services.provisioning.registrar import RegistrarModule

log = logging.getLogger("hutor.provisioning")


@dataclass(frozen=True)
class Drift:
    service_id: int
    name: str
    kind: str
    registry_expires_on: dt.date | None
    paid_until: dt.date | None


@dataclass
class SyncReport:
    synced: int = 0
    failed: int = 0
    aligned: int = 0  # paid-until moved to the registry's date
    renewing: int = 0  # a renew task queued (or waiting) for years the registry lacks
    drift: list[Drift] = field(default_factory=list)


def _modules() -> list[str]:
    return [
        name
        for name, module in MODULES.items()
        if issubclass(module, RegistrarModule) and module.supports("info")
    ]


def due(limit: int) -> list[Service]:
    """The active registered domains to ask about, the longest unsynced first."""
    return list(
        Service.objects.filter(status=ServiceStatus.ACTIVE, provisioning_module__in=_modules())
        .exclude(remote_id="")
        .select_related("tariff", "server", "billing_account")
        .order_by(F("domain_details__synced_at").asc(nulls_first=True), "pk")[:limit]
    )


def sync_due(*, limit: int | None = None) -> SyncReport:
    report = SyncReport()
    for service in due(limit or settings.HUTOR_DOMAIN_SYNC_PER_RUN):
        try:
            info = registry.sync(service=service)
        except registry.RegistryError as exc:
            report.failed += 1
            if "2303" in exc.detail:  # the registry does not hold it for us
                report.drift.append(_drift(service, "not_ours", None))
            continue
        report.synced += 1
        if info.expires_on is None:
            continue
        outcome = expiry.follow_registry(service_id=service.pk, expires_on=info.expires_on)
        if outcome == expiry.Outcome.ALIGNED:
            report.aligned += 1
        elif outcome == expiry.Outcome.RENEWING:
            report.renewing += 1
        elif outcome != expiry.Outcome.IN_STEP:
            report.drift.append(_drift(service, outcome.value, info.expires_on))
    return report


def _drift(service: Service, kind: str, expires: dt.date | None) -> Drift:
    return Drift(service.pk, service.identifier, kind, expires, service.paid_until)


def drifting() -> list[DomainDetails]:
    """The domains whose registry expiry (as last synced) is before their paid-until date: the
    desk's list of renewals that did not reach the registry."""
    return list(
        DomainDetails.objects.filter(
            service__status=ServiceStatus.ACTIVE,
            registry_expires_on__lt=F("service__paid_until"),
        ).select_related("service__billing_account")
    )
