"""Events into deliveries, in the publishing transaction (core.events.published's receiver).

Fanned out at once rather than by the worker scanning for new events: the deliveries then
commit or roll back with the event (nothing to reconcile, no cursor that a transaction
committing late could slip behind), and each endpoint gets exactly the events published while
it was enabled and subscribed. It costs one small query of the enabled endpoints per publish,
written by hand (a payment's credit publishes an event; the ORM's building of that query cost
more than running it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from hutor.core import clock, statements
from hutor.core.events import PublishedRow, RowWriter
from hutor.core.models import Event
from hutor.webhooks.models import Delivery, Endpoint


def group_of(endpoint_id: int, account_id: int | None) -> str:
    """The order group: one endpoint's deliveries of one billing account's events."""
    return f"{endpoint_id}:{account_id or 0}"


def fan_out(
    sender: type[Event],
    events: Sequence[Event | PublishedRow],
    insert: RowWriter | None = None,
    **kwargs: Any,
) -> None:
    endpoints = enabled_endpoints()
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
        statements.insert(Delivery, [dict(zip(_DELIVERY, row, strict=True)) for row in rows])


def enabled_endpoints() -> list[tuple[int, frozenset[str]]]:
    """The enabled endpoints (id, the event kinds they take), in id order: read on every call
    (one short statement by hand), so an endpoint enabled, disabled or edited in any process
    counts from its commit on; parsed again only when the rows differ (core.statements.Kept)."""
    columns = statements.columns(Endpoint, frozenset({"id", "events"}))
    quote = connection.ops.quote_name
    table = quote(Endpoint._meta.db_table)
    return _endpoints.read(
        f"SELECT {columns.sql} FROM {table} WHERE {table}.{quote('enabled')}"  # noqa: S608
        f" ORDER BY {table}.{quote('id')}"
    )


def _made(rows: list[tuple[Any, ...]]) -> list[tuple[int, frozenset[str]]]:
    built = statements.columns(Endpoint, frozenset({"id", "events"})).build
    return [(endpoint.pk, frozenset(endpoint.events)) for endpoint in map(built, rows)]


_endpoints = statements.Kept(_made)


# A new delivery's fields as fan_out() gives them (the others at their defaults: pending).
_DELIVERY = ("endpoint_id", "event_id", "group", "next_attempt_at", "created_at")
