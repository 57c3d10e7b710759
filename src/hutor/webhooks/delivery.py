"""Sending deliveries: `hutor worker` calls `deliver_due()`.

Deliveries are a job queue (core.queue): claimed in a short transaction (SKIP LOCKED on
PostgreSQL, so several workers share them), sent outside any transaction, their outcome saved.
Deliveries of one endpoint and billing account go out in order (`in_order_per="group"`): a
later one waits while an earlier one is pending, so a receiver that was down gets an account's
events in the order they happened once it is back.

A 2xx answer delivers. 410 Gone disables the endpoint (the spec: the receiver wants no more)
and fails the delivery at once. A disabled endpoint's deliveries are not sent: each attempt
fails, so they wait out their retries and can be resent once it is enabled again. Anything else
(another status, a timeout, a refused connection) is retried after a backoff, for a little more
than a day in all (the spec's example schedule to its 10 hours, once more: 5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 10 h; the last try 27 h 35 min after the first), then the delivery is dead
(failed), shown in the desk, and resendable. A dead delivery no longer holds its group back
(core.queue), so one event a receiver keeps refusing does not stop the others.

Requests never follow redirects (a 3xx is a failure: the receiver's URL is what the admin
typed), carry a timeout (HUTOR_WEBHOOKS_TIMEOUT), and go only to public addresses unless
HUTOR_WEBHOOKS_ALLOW_PRIVATE (the host's every address is checked before the request).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.queue import AttemptFailed, Finished, Queue
from hutor.webhooks import signing
from hutor.webhooks.models import Delivery, DeliveryStatus, Endpoint

log = logging.getLogger("hutor.webhooks")

RETRY_DELAYS: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
GONE = 410
RESPONSE_KEPT = 1000  # characters of the receiver's answer kept for the desk

QUEUE: Queue[Delivery] = Queue(
    model=Delivery,
    name="webhook",
    pending=DeliveryStatus.PENDING,
    failed=DeliveryStatus.FAILED,
    lease=dt.timedelta(minutes=2),
    delays=RETRY_DELAYS,
    in_order_per="group",
    related=("endpoint", "event"),
)


class AddressRefused(Exception):
    """The endpoint's host is a private, loopback or link-local address (not allowed here)."""


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.delivered or self.retried or self.failed)


def deliver_due(*, limit: int = 100) -> DeliveryReport:
    """Send the deliveries whose time has come (see the module docstring), up to `limit`.

    Only the first waiting delivery of each group is due at a time, so the queue is asked again
    while deliveries finish: an account's burst of events goes out in one call, one by one."""
    total = DeliveryReport()
    while total.delivered + total.retried + total.failed < limit:
        report = QUEUE.run_due(_send, limit=limit)
        total.delivered += report.finished[DeliveryStatus.DELIVERED]
        total.failed += report.failed + report.finished[DeliveryStatus.FAILED]
        total.retried += report.retried
        if not report.finished:
            break  # nothing finished: what is left waits for a retry or a group's head
    return total


def check_address(url: str) -> None:
    """Refuse a URL whose host is (or resolves to) a non-public address, unless allowed."""
    if settings.HUTOR_WEBHOOKS_ALLOW_PRIVATE:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise AddressRefused(
            _("%(host)s does not resolve: %(error)s") % {"host": host, "error": exc}
        ) from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise AddressRefused(
                _("%(host)s is a private address (%(address)s); webhooks go to public ones.")
                % {"host": host, "address": address}
            )


def _send(delivery: Delivery) -> Finished:
    if not delivery.endpoint.enabled:
        raise AttemptFailed(_("The endpoint is disabled."))
    event = delivery.event
    content = signing.body(event)
    started = clock.now()
    headers = signing.headers(
        delivery.endpoint.secret.reveal(),
        msg_id=event.webhook_id,
        timestamp=int(started.timestamp()),
        content=content,
    )
    headers["user-agent"] = "Hutor-Webhooks/1"
    check_address(delivery.endpoint.url)
    began = time.monotonic()
    try:
        response = requests.post(
            delivery.endpoint.url,
            data=content,
            headers=headers,
            timeout=settings.HUTOR_WEBHOOKS_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise AttemptFailed(
            f"{type(exc).__name__}: {exc}",
            response_status=None,
            response_body="",
            duration_ms=int((time.monotonic() - began) * 1000),
            last_attempt_at=started,
        ) from exc
    kept = {
        "response_status": response.status_code,
        "response_body": response.text[:RESPONSE_KEPT],
        "duration_ms": int((time.monotonic() - began) * 1000),
        "last_attempt_at": started,
    }
    if response.status_code == GONE:
        Endpoint.objects.filter(pk=delivery.endpoint_id).update(enabled=False)
        log.warning("webhook endpoint %s answered 410 Gone: disabled", delivery.endpoint_id)
        return Finished(DeliveryStatus.FAILED, {**kept, "last_error": "HTTP 410 Gone"})
    if not 200 <= response.status_code < 300:
        raise AttemptFailed(f"HTTP {response.status_code}", **kept)
    return Finished(DeliveryStatus.DELIVERED, {**kept, "delivered_at": clock.now()})
