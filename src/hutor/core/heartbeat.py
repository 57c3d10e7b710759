"""Workers' heartbeats: `hutor worker` calls `beat()` each time round its loop (one short
UPDATE, its own transaction), and monitoring asks `last_seen()` (/readyz, /metrics).

Real time, not `clock.now()`: a heartbeat says when the process was alive, whatever day the
billing rules are told it is."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.db import transaction
from django.utils import timezone

from hutor.core.models import WorkerHeartbeat

# A worker's row is deleted this long after its last beat (restarts leave one row each).
FORGET_AFTER = dt.timedelta(days=7)


def _name() -> tuple[str, str, int]:
    host = socket.gethostname()[:255]
    pid = os.getpid()
    return f"{host}:{pid}", host, pid


def start() -> None:
    """The worker's first beat; forgets the rows of workers gone for a week."""
    now = timezone.now()
    name, host, pid = _name()
    with transaction.atomic():
        WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
        WorkerHeartbeat.objects.update_or_create(
            name=name, defaults={"host": host, "pid": pid, "started_at": now, "seen_at": now}
        )


def beat() -> None:
    now = timezone.now()
    name, host, pid = _name()
    if not WorkerHeartbeat.objects.filter(name=name).update(seen_at=now):
        WorkerHeartbeat.objects.update_or_create(
            name=name, defaults={"host": host, "pid": pid, "started_at": now, "seen_at": now}
        )


def last_seen() -> dt.datetime | None:
    """When any worker last gave a sign of life; None when none ever did."""
    row = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    return row
