"""Webhook endpoints and the deliveries of events to them.

An `Endpoint` is a receiver an administrator configured in the desk: a URL, the event kinds it
wants (core.events.EventKind values), a signing secret (Standard Webhooks' `whsec_…`, stored
encrypted like server credentials) and whether it is enabled.

A `Delivery` is one event on its way to one endpoint: a job of the worker's queue
(core.queue), written in the transaction that publishes the event (webhooks.fanout), so it
exists exactly when the event does. Deliveries of one endpoint and billing account run in the
order they were written (`group`), so a receiver sees an account's invoice issued before it is
paid. The row keeps what the last attempt got back (status code, the start of the body, time).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hutor.core.queue import QueueJob
from hutor.core.secrets import EncryptedTextField


class Endpoint(models.Model):
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The event kinds sent here (core.events.EventKind values).
    events = models.JSONField(_("events"), default=list)
    secret = EncryptedTextField(_("signing secret"))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for the worker (also between retries)
    DELIVERED = "delivered", _("Delivered")  # the receiver answered 2xx
    FAILED = "failed", _("Failed")  # gave up after the last retry (a day); staff may resend


class Delivery(QueueJob):
    """One event to one endpoint: a job of webhooks.delivery.QUEUE."""

    endpoint = models.ForeignKey(
        Endpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        "core.Event", verbose_name=_("event"), on_delete=models.PROTECT, related_name="+"
    )
    # "<endpoint id>:<billing account id>": deliveries of one group go out in pk order.
    group = models.CharField(_("order group"), max_length=48)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # attempts, next_attempt_at, last_error: the queue's (core.queue.QueueJob)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response"), blank=True)
    duration_ms = models.PositiveIntegerField(_("time, ms"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["group", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"
