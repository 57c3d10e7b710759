"""The daily registry sync (issue 14): the registry's expiry date is the truth about a domain,
so the billing run asks the registrar what it holds of each active domain (`info`), keeps it
on the domain's details, and reports the **drift** between the registry and billing:

    expires_before_paid   the registry lets it go before the date the customer paid for (a paid
                          renewal did not reach the registry): staff renew it there
    expires_after_paid    the registry keeps it longer than paid for (renewed there by hand, or
                          by the registry's auto-renew): billing's date is left as paid
    not_ours              the registry does not hold it for us any more (transferred away,
                          deleted)

Billing's paid-until date never moves on its own: money decides it, and a drift is for staff.
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
        if info.expires_on is None or service.paid_until is None:
            continue
        if info.expires_on < service.paid_until:
            report.drift.append(_drift(service, "expires_before_paid", info.expires_on))
        elif info.expires_on > service.paid_until:
            report.drift.append(_drift(service, "expires_after_paid", info.expires_on))
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
