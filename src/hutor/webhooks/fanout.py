"""Events into deliveries, in the publishing transaction (core.events.published's receiver).

Fanned out at once rather than by the worker scanning for new events: the deliveries then
commit or roll back with the event (nothing to reconcile, no cursor that a transaction
committing late could slip behind), and each endpoint gets exactly the events published while
it was enabled and subscribed. It costs one small query of the enabled endpoints per publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hutor.core import clock
from hutor.core.events import PublishedRow, RowWriter
from hutor.core.models import Event
from hutor.webhooks.models import Delivery, DeliveryStatus, Endpoint


def group_of(endpoint_id: int, account_id: int | None) -> str:
    """The order group: one endpoint's deliveries of one billing account's events."""
    return f"{endpoint_id}:{account_id or 0}"


def fan_out(
    sender: type[Event],
    events: Sequence[Event | PublishedRow],
    insert: RowWriter | None = None,
    **kwargs: Any,
) -> None:
    endpoints = list(Endpoint.objects.filter(enabled=True).values_list("pk", "events"))
    if not endpoints:
        return
    now = clock.now()
    rows = [
        (endpoint_id, event.pk, group_of(endpoint_id, event.account_id), now, now)
        for event in events
        for endpoint_id, kinds in endpoints
        if event.kind in kinds
    ]
    if not rows:
        return
    if insert is not None:  # the billing run's row writer: plain tuples (status pending)
        insert.rows(Delivery, _DELIVERY, rows)
    else:
        Delivery.objects.bulk_create(
            [
                Delivery(status=DeliveryStatus.PENDING, **dict(zip(_DELIVERY, row, strict=True)))
                for row in rows
            ]
        )


# A new delivery's fields as fan_out() gives them (the others at their defaults: pending).
_DELIVERY = ("endpoint_id", "event_id", "group", "next_attempt_at", "created_at")
