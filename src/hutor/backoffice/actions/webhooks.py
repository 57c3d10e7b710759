"""Administrators' actions on webhook endpoints and deliveries: the webhooks app's own actions,
each with its audit entry in the same transaction. A signing secret is never in the audit: that
it was created, shown or replaced is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.webhooks import actions as webhooks
from hutor.webhooks.exceptions import WebhookError
from hutor.webhooks.models import Delivery, Endpoint

if TYPE_CHECKING:
    from hutor.accounts.models import User

# How an endpoint's fields are named in the audit (its `enabled` is not a server's).
AUDIT_KEYS = {"url": "url", "events": "events", "description": "description", "enabled": "sending"}


def save_endpoint(
    *, staff: User, endpoint: Endpoint | None, values: Mapping[str, Any], reason: str
) -> tuple[Endpoint, str]:
    """Add an endpoint (`endpoint` None: a new signing secret is made and returned, to be shown
    once) or change one (the secret stays; "" returned)."""
    require_reason(reason)
    try:
        with transaction.atomic():
            secret = ""
            if endpoint is None:
                endpoint, secret = webhooks.create_endpoint(**values)
                changes: dict[str, Any] = {
                    AUDIT_KEYS[name]: getattr(endpoint, name) for name in AUDIT_KEYS
                }
                changes["secret"] = "set"
            else:
                changed = webhooks.update_endpoint(endpoint=endpoint, values=dict(values))
                changes = {AUDIT_KEYS[name]: change for name, change in changed.items()}
            record(
                staff=staff,
                action="webhook.save",
                reason=reason,
                object_type="webhook_endpoint",
                object_id=endpoint.pk,
                changes=changes,
            )
    except WebhookError as exc:
        raise DeskError(str(exc)) from exc
    return Endpoint.objects.get(pk=endpoint.pk), secret


def show_secret(*, staff: User, endpoint: Endpoint, replace: bool, reason: str) -> str:
    """The endpoint's signing secret, for an administrator to copy to the receiver; with
    `replace`, a new one first (the old one stops signing at once). Audited either way."""
    require_reason(reason)
    with transaction.atomic():
        if replace:
            secret = webhooks.rotate_secret(endpoint=endpoint)
        else:
            secret = Endpoint.objects.get(pk=endpoint.pk).secret.reveal()
        record(
            staff=staff,
            action="webhook.secret",
            reason=reason,
            object_type="webhook_endpoint",
            object_id=endpoint.pk,
            changes={"secret": "replaced" if replace else "shown"},
        )
    return secret


def resend_delivery(*, staff: User, delivery: Delivery, reason: str) -> Delivery:
    """Send a delivery's event to its endpoint again, with the same webhook-id."""
    require_reason(reason)
    try:
        with transaction.atomic():
            sent = webhooks.resend(delivery=delivery)
            record(
                staff=staff,
                action="webhook.resend",
                reason=reason,
                object_type="webhook_delivery",
                object_id=delivery.pk,
                changes={
                    "webhook_id": delivery.event.webhook_id,
                    "event": delivery.event.kind,
                    "delivery": sent.pk,
                },
            )
    except WebhookError as exc:
        raise DeskError(str(exc)) from exc
    return sent
