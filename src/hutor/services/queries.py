"""Read models of the services app for screens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.functional import Promise

from hutor.catalog.models import ServiceType, Tariff, pick
from hutor.core import reads
from hutor.services.models import Service, ServiceStatus

# The statuses of the services the home page lists (what the customer can still renew or pay).
LIVE = (ServiceStatus.ACTIVE.value, ServiceStatus.SUSPENDED.value, ServiceStatus.PENDING.value)
_LABELS: dict[str, str | Promise] = dict(ServiceStatus.choices)


@dataclass(frozen=True, slots=True)
class LiveService:
    """What the panel's home page shows of a service, its names in the active language."""

    pk: int
    status: str
    status_label: str | Promise  # get_status_display(), rendered in the page's language
    identifier: str
    paid_until: dt.date | None
    tariff_name: str
    type_name: str


def _live_services_sql() -> str:
    s, c = Service, reads.column
    return (
        f"SELECT {c(s, 'id', 's')}, {c(s, 'status', 's')}, {c(s, 'identifier', 's')}, "  # noqa: S608
        f"{c(s, 'paid_until', 's')}, {c(Tariff, 'name_ru', 't')}, {c(Tariff, 'name_en', 't')}, "
        f"{c(ServiceType, 'name_ru', 'st')}, {c(ServiceType, 'name_en', 'st')} "
        f"FROM {reads.table(s)} s "
        f"JOIN {reads.table(Tariff)} t ON {c(Tariff, 'id', 't')} = {c(s, 'tariff', 's')} "
        f"JOIN {reads.table(ServiceType)} st "
        f"ON {c(ServiceType, 'id', 'st')} = {c(s, 'service_type', 's')} "
        f"WHERE {c(s, 'billing_account', 's')} = %s AND {c(s, 'status', 's')} IN (%s, %s, %s) "
        f"ORDER BY {c(s, 'paid_until', 's')}, {c(s, 'id', 's')}"
    )


_LIVE_SERVICES = reads.Read(
    _live_services_sql,
    [None, None, None, reads.field(Service, "paid_until"), None, None, None, None],
)


def live_services(billing_account_id: int) -> list[LiveService]:
    """The account's active, suspended and pending services, the nearest paid-until first (one
    query: the service with its tariff's and type's names)."""
    return [
        LiveService(
            pk,
            status,
            _LABELS.get(status) or status,
            identifier,
            paid_until,
            pick(tariff_ru, tariff_en),
            pick(type_ru, type_en),
        )
        for pk, status, identifier, paid_until, tariff_ru, tariff_en, type_ru, type_en in (
            _LIVE_SERVICES.rows([billing_account_id, *LIVE])
        )
    ]
