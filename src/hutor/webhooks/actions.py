"""Changing webhook endpoints and resending deliveries: the webhooks app's one writer of its
tables besides the fan-out (webhooks.fanout) and the worker (webhooks.delivery). The desk
calls these inside its audited actions (backoffice.actions.webhooks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.events import EventKind
from hutor.core.secrets import Secret
from hutor.webhooks import signing
from hutor.webhooks.delivery import QUEUE
from hutor.webhooks.exceptions import WebhookError
from hutor.webhooks.fanout import group_of
from hutor.webhooks.models import Delivery, DeliveryStatus, Endpoint


def _kinds(events: Sequence[str]) -> list[str]:
    chosen = set(events)
    unknown = chosen - set(EventKind.values)
    if unknown:
        raise WebhookError(_("Unknown events: %(kinds)s") % {"kinds": ", ".join(sorted(unknown))})
    if not chosen:
        raise WebhookError(_("Choose at least one event."))
    return [kind for kind in EventKind.values if kind in chosen]  # the catalogue's order


def create_endpoint(
    *, url: str, events: Sequence[str], description: str = "", enabled: bool = True
) -> tuple[Endpoint, str]:
    """Add an endpoint with a new signing secret; returns it and the secret (whsec_…)."""
    secret = signing.generate_secret()
    endpoint = Endpoint.objects.create(
        url=url,
        description=description,
        events=_kinds(events),
        secret=secret,
        enabled=enabled,
        created_at=clock.now(),
    )
    return endpoint, secret


def update_endpoint(*, endpoint: Endpoint, values: dict[str, Any]) -> dict[str, Any]:
    """Change an endpoint's URL, description, events or enabled flag; returns what changed
    ({"field": {"from": …, "to": …}}) for the audit. Deliveries already written keep going."""
    if "events" in values:
        values = {**values, "events": _kinds(values["events"])}
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        changes = {
            name: {"from": getattr(endpoint, name), "to": value}
            for name, value in values.items()
            if getattr(endpoint, name) != value
        }
        for name in changes:
            setattr(endpoint, name, values[name])
        if changes:
            endpoint.save(update_fields=list(changes))
    return changes


def rotate_secret(*, endpoint: Endpoint) -> str:
    """Give the endpoint a new signing secret (the old one stops signing at once)."""
    secret = signing.generate_secret()
    Endpoint.objects.filter(pk=endpoint.pk).update(secret=Secret.of(secret))
    return secret


def resend(*, delivery: Delivery) -> Delivery:
    """Send a delivery's event to its endpoint again, with the same webhook-id (so a receiver
    that has it already can tell). A failed (dead) delivery goes back to the worker with a
    fresh set of tries; a delivered one gets a new delivery row beside it, as history."""
    if delivery.status == DeliveryStatus.FAILED:
        requeued = QUEUE.requeue(delivery.pk)
        if requeued is None:
            raise WebhookError(_("This delivery is not failed any more."))
        return requeued
    if delivery.status != DeliveryStatus.DELIVERED:
        raise WebhookError(_("This delivery is still waiting for the worker."))
    now = clock.now()
    return Delivery.objects.create(
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        group=group_of(delivery.endpoint_id, delivery.event.account_id),
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )


def prune_delivered(before: dt.datetime, batch: int) -> int:
    """Delete deliveries delivered before `before` (the desk's delivery log forgets them; a
    pending or failed one stays until it is delivered), in batches; returns how many."""
    from hutor.core.pruning import delete_in_batches

    return delete_in_batches(
        Delivery.objects.filter(status=DeliveryStatus.DELIVERED, delivered_at__lt=before), batch
    )
