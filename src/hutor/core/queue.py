"""One job queue for all background work: claim, lease, retry with backoff, dead letters.

A *job* is a row of an app's own table that inherits `QueueJob` (an outbox email, a
provisioning task); the app keeps its own status values and fields, and drives its table
through a `Queue` built for it, so each app stays the only writer of its table while the
mechanism exists once:

- `due()` lists the jobs whose next attempt has come (pending, or claimed with a lapsed lease);
- `claim(pk)` takes one in a short transaction, under SKIP LOCKED on PostgreSQL so several
  workers share the queue (SQLite's IMMEDIATE transactions serialise the claim instead): one
  more attempt is counted and `next_attempt_at` moves past the lease, so a worker that dies
  mid-job leaves it to be taken again when the lease ends;
- the work itself runs outside any transaction (a slow mail server or control panel never holds
  a database lock), then `finish()` records the outcome or `retry_or_give_up()` schedules the
  next try after a backoff (`delays`); after the last one the job is *dead* (the failed status,
  with its error kept) until staff `requeue()` it with a fresh set of tries.

`attempts` is the claim's fencing token: a worker writes its outcome only if the job still
carries the attempt it claimed, so a worker whose lease lapsed (and whose job another worker
took) cannot overwrite the newer attempt's outcome.

A job that fails may say what to keep of the attempt (a webhook's response code) by raising
`AttemptFailed` with fields; and a queue may name `on_dead`, called in the transaction that
marks a job dead, so an app can announce it with the same commit (provisioning.failed).

Jobs may run in order per group (`in_order_per`, e.g. a service's tasks): a job waits while an
earlier job (lower pk) of its group is unfinished, so an unsuspend never overtakes the suspend
before it; a dead job does not hold the later ones back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from hutor.core import clock

log = logging.getLogger("hutor.queue")

# Waits between tries: the first retry a minute after the first failure, the last one 12 hours
# after the one before; a job that fails once more after the last delay is dead.
RETRY_DELAYS: tuple[dt.timedelta, ...] = tuple(
    dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 720)
)
ERROR_LENGTH = 2000


class QueueJob(models.Model):
    """The columns the queue owns in a job's table (the table adds `status` and its own)."""

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the worker may next take the job: now-ish when queued, a backoff after a failure,
    # the lease's end while claimed; None once the job is finished or dead.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True


J = TypeVar("J", bound=QueueJob)


class AttemptFailed(Exception):
    """A failed attempt that keeps some of the job's own fields (what the remote side said)."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True)
class Finished:
    """What `perform` returns when the job is over: its final status and the fields to save
    with it (a sent email's subject, a task's note)."""

    status: str
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RunReport:
    """What one `run_due` did: jobs finished (by final status), retried, and dead."""

    finished: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Queue(Generic[J]):
    """The queue over one job table: its model and the meaning of its status values."""

    model: type[J]
    name: str  # for log lines: "email", "provisioning task"
    pending: str  # waiting for a worker (also between retries)
    failed: str  # dead: gave up after the last retry; staff may requeue it
    lease: dt.timedelta  # how long a claimed job is left to its worker
    running: str | None = None  # the status while claimed; None: it stays pending
    delays: tuple[dt.timedelta, ...] = RETRY_DELAYS
    in_order_per: str | None = None  # a column: a job waits for earlier ones with its value
    related: tuple[str, ...] = ()  # select_related on claim, for `perform`
    # Called with a job as it becomes dead (failed), in the transaction that records it.
    on_dead: Callable[[J], None] | None = None

    @property
    def unfinished(self) -> tuple[str, ...]:
        return (self.pending,) if self.running is None else (self.pending, self.running)

    @property
    def claimed(self) -> str:
        return self.running or self.pending

    def _due(self) -> Q:
        return Q(status__in=self.unfinished, next_attempt_at__lte=clock.now())

    def _waiting(self) -> Exists | None:
        """An earlier unfinished job of the same group (None when jobs run in any order)."""
        if self.in_order_per is None:
            return None
        return Exists(
            self.model._default_manager.filter(
                **{self.in_order_per: OuterRef(self.in_order_per)},
                pk__lt=OuterRef("pk"),
                status__in=self.unfinished,
            )
        )

    def _ready(self) -> models.QuerySet[J]:
        rows = self.model._default_manager.filter(self._due())
        waiting = self._waiting()
        return rows if waiting is None else rows.exclude(waiting)

    def due(self, *, limit: int = 100) -> list[int]:
        """The primary keys of up to `limit` jobs a worker may claim now, oldest due first."""
        return list(
            self._ready().order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
        )

    def claim(self, pk: int) -> J | None:
        """Take the job for one attempt, or None if it is not ready (another worker holds it,
        it is finished, its time has not come, or an earlier job of its group is unfinished)."""
        with transaction.atomic():
            rows = self._ready().filter(pk=pk)
            if self.related:
                rows = rows.select_related(*self.related)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True, of=("self",))
            job = rows.first()
            if job is None:
                return None
            job.status = self.claimed  # type: ignore[attr-defined]
            job.attempts += 1
            job.next_attempt_at = clock.now() + self.lease
            job.save(update_fields=["status", "attempts", "next_attempt_at"])
            return job

    def _write(self, job: J, values: dict[str, Any]) -> bool:
        """Save `values` on the job if it still carries the attempt this worker claimed; a job
        made dead is announced to `on_dead` in the same transaction."""
        with transaction.atomic():
            written = self.model._default_manager.filter(
                pk=job.pk, attempts=job.attempts, status=self.claimed
            ).update(**values)
            for name, value in values.items():
                setattr(job, name, value)
            if written and self.on_dead is not None and values.get("status") == self.failed:
                self.on_dead(job)
        if not written:
            log.warning("%s %s: lease lost to another worker; its outcome stands", self.name, job)
        return bool(written)

    def finish(self, job: J, *, status: str, **fields: Any) -> bool:
        """Record a claimed job's outcome (a final status and its own fields)."""
        return self._write(
            job, {"status": status, "next_attempt_at": None, "last_error": "", **fields}
        )

    def retry_or_give_up(self, job: J, exc: BaseException) -> bool:
        """Record a failed attempt: another try after the next backoff (True), or, after the
        last one, the job is dead with its error kept for staff (False)."""
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        kept = dict(exc.fields) if isinstance(exc, AttemptFailed) else {}
        if job.attempts > len(self.delays):
            self._write(
                job,
                {"status": self.failed, "next_attempt_at": None, "last_error": error, **kept},
            )
            log.error("%s %s (%s) failed for good: %s", self.name, job.pk, job, exc)
            return False
        self._write(
            job,
            {
                "status": self.pending,
                "next_attempt_at": clock.now() + self.delays[job.attempts - 1],
                "last_error": error,
                **kept,
            },
        )
        log.warning("%s %s (%s) will be retried: %s", self.name, job.pk, job, exc)
        return True

    def run_due(self, perform: Callable[[J], Finished], *, limit: int = 100) -> RunReport:
        """Claim the due jobs one by one and `perform` each outside any transaction: a job that
        returns `Finished` is finished, one that raises is retried or given up."""
        report = RunReport()
        for pk in self.due(limit=limit):
            job = self.claim(pk)
            if job is None:
                continue  # another worker has it, or it is done meanwhile
            try:
                outcome = perform(job)
            except Exception as exc:
                if self.retry_or_give_up(job, exc):
                    report.retried += 1
                else:
                    report.failed += 1
                continue
            if self.finish(job, status=outcome.status, **outcome.fields):
                report.finished[outcome.status] += 1
        return report

    def requeue(self, pk: int) -> J | None:
        """Send a dead job back to the workers with a fresh set of tries (a staff action; call
        it from the app's own action). None if the job is not dead."""
        with transaction.atomic():
            job = (
                self.model._default_manager.select_for_update()
                .filter(pk=pk, status=self.failed)
                .first()
            )
            if job is None:
                return None
            job.status = self.pending  # type: ignore[attr-defined]
            job.attempts = 0
            job.next_attempt_at = clock.now()
            job.save(update_fields=["status", "attempts", "next_attempt_at"])
            return job
