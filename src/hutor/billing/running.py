"""One real billing run at a time: claiming the run, its heartbeat, and the runs left behind.

The guarantee is the database's: a unique partial index on BillingRun admits one row with
status "running" and dry_run false (models.BillingRun, constraint "billing_one_running_run").
A run claims it by inserting its row; a second run started meanwhile, on this machine or any
other using the same database, fails that insert and is refused with the holder's start time,
process id and host (RunInProgress; the command exits EXIT_RUN_IN_PROGRESS).

A row still running whose process is gone would hold the claim forever, so a starting run first
marks interrupted every running row that is provably dead: its process id no longer exists on
this host, or its heartbeat (written as the steps progress, at least every HEARTBEAT_EVERY) is
older than HEARTBEAT_TIMEOUT, which also covers a run on another host and a process id reused
by an unrelated process. A live run beats far more often than that, so it is never marked
interrupted. Should it happen anyway (a machine frozen for HEARTBEAT_TIMEOUT, then resumed),
the run notices at its next heartbeat that it lost the claim and stops (RunTakenOver) before
doing more: two runs never work at once.

A dry run holds no claim (it rolls everything back and cannot issue anything twice) and is
refused while a real run is running: its sample would describe work being done at that very
moment, and its one long transaction would hold row locks the real run waits for.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from hutor.billing.models import BillingRun, RunStatus

log = logging.getLogger("hutor.billing")

# A run writes its heartbeat at most this often (seconds), after items or batches are done.
HEARTBEAT_EVERY = 10.0
# A running run without a heartbeat for this long is gone, wherever it ran. Far longer than any
# single batch or item takes, so that only a dead (or frozen) process is ever this silent.
HEARTBEAT_TIMEOUT = dt.timedelta(minutes=10)
# The command's exit status when another run holds the claim: sysexits.h's EX_TEMPFAIL
# ("try again later"); 1 stays "the run had errors".
EXIT_RUN_IN_PROGRESS = 75


class RunInProgress(Exception):
    """Another billing run is running; this one did nothing."""

    def __init__(self, holder: BillingRun) -> None:
        super().__init__(f"billing run {holder.pk} is running (pid {holder.pid} on {holder.host})")
        self.holder = holder


class RunTakenOver(BaseException):
    """This run was marked interrupted by another (it was silent too long): it stops at once.

    A BaseException, like KeyboardInterrupt: a step catches an item's Exception, records it and
    goes on with the next item, which is exactly what must not happen here."""


def this_host() -> str:
    return socket.gethostname()[:255]


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (signal 0 checks, sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def is_gone(run: BillingRun, *, now: dt.datetime | None = None) -> bool:
    """Whether a running run's process is known to be gone (see the module's docstring)."""
    now = now or timezone.now()
    if run.pid is not None and run.host == this_host() and not process_alive(run.pid):
        return True
    if run.dry_run:
        # A dry run writes no heartbeat (its writes are rolled back): only a dead process id
        # ends it, and its row holds no claim meanwhile.
        return False
    last = run.heartbeat_at or run.started_at
    return now - last > HEARTBEAT_TIMEOUT


def interrupt_gone() -> list[int]:
    """Mark interrupted every running run whose process is gone; return their ids."""
    marked = []
    for run in BillingRun.objects.filter(status=RunStatus.RUNNING).order_by("pk"):
        # Only a row that is still running: two runs starting together mark it once.
        if is_gone(run) and BillingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.INTERRUPTED
        ):
            log.warning(
                "billing run=%s marked interrupted (pid %s on %r, last sign of life %s)",
                run.pk,
                run.pid,
                run.host,
                run.heartbeat_at or run.started_at,
            )
            marked.append(run.pk)
    return marked


def running_run() -> BillingRun | None:
    """The real run holding the claim, if any."""
    return BillingRun.objects.filter(status=RunStatus.RUNNING, dry_run=False).first()


def claim(*, date: dt.date, started_at: dt.datetime, dry_run: bool) -> BillingRun:
    """Record a new run as running, or raise RunInProgress when a live real run holds the claim.

    Runs left behind by dead processes are marked interrupted first, and this run then carries
    on their work."""
    for _attempt in range(3):
        interrupt_gone()
        holder = running_run()
        if dry_run and holder is not None:
            raise RunInProgress(holder)
        now = timezone.now()
        fields = {"pid": os.getpid(), "host": this_host(), "heartbeat_at": now}
        try:
            # A savepoint, so that a refused insert leaves an outer transaction usable.
            with transaction.atomic():
                return BillingRun.objects.create(
                    date=date, dry_run=dry_run, started_at=started_at, **fields
                )
        except IntegrityError:
            holder = running_run()
            if holder is not None and not is_gone(holder):
                raise RunInProgress(holder) from None
            # The holder ended (or died) in between: look again.
    holder = running_run()
    assert holder is not None  # the insert failed three times on a live holder's claim
    raise RunInProgress(holder)


class Heartbeat:
    """Writes a real run's sign of life, at most every HEARTBEAT_EVERY seconds; raises
    RunTakenOver when the run is no longer the one running."""

    def __init__(self, run: BillingRun) -> None:
        self.run = run
        self.last = time.monotonic()

    def beat(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < HEARTBEAT_EVERY:
            return
        self.last = time.monotonic()
        alive = BillingRun.objects.filter(pk=self.run.pk, status=RunStatus.RUNNING).update(
            heartbeat_at=timezone.now()
        )
        if not alive:
            raise RunTakenOver(f"billing run {self.run.pk} was marked interrupted by another run")
