"""The services app's events (core.events): a service's status changed (lifecycle.move, the one
place that changes it), its tariff changed, or its provisioning failed for good."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hutor.core.events import EventDraft, EventKind, publish_many
from hutor.services.models import Service

# Lifecycle transitions announced, and as what (an order cancelled unpaid is announced by its
# invoice's invoice.cancelled; a domain expired is a suspension with status "expired").
TRANSITION_EVENTS: dict[str, str] = {
    "activate": EventKind.SERVICE_CREATED,
    "suspend": EventKind.SERVICE_SUSPENDED,
    "expire": EventKind.SERVICE_SUSPENDED,
    "reactivate": EventKind.SERVICE_UNSUSPENDED,
    "terminate": EventKind.SERVICE_TERMINATED,
    "refuse": EventKind.SERVICE_TERMINATED,
}


def data(service: Service, **extra: Any) -> dict[str, Any]:
    """What every service event carries: the service by id, identifier and codes."""
    return {
        "account": service.billing_account.number,
        "service_id": service.pk,
        "identifier": service.identifier,
        "service_type": service.service_type.code,
        "tariff": service.tariff.code,
        "status": service.status,
        "paid_until": service.paid_until,
        "period_months": service.period_months,
        "auto_renew": service.auto_renew,
        **extra,
    }


def draft(kind: str, service: Service, **extra: Any) -> EventDraft:
    return EventDraft(kind, service.billing_account_id, data(service, **extra))


def transitions(
    moved: Sequence[tuple[Service, str]], *, params: Mapping[str, Any] | None = None
) -> None:
    """Announce transitions just made (service, transition name), in the caller's
    transaction; those without an event (cancel) are skipped."""
    drafts = [
        draft(TRANSITION_EVENTS[name], service, transition=name, **(params or {}))
        for service, name in moved
        if name in TRANSITION_EVENTS
    ]
    publish_many(drafts)
