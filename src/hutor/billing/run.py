"""`hutor billing run`: the daily billing run, its steps in order, and its record.

Safe to run any number of times a day and to kill at any moment: every step finds its work
from the state of the data and commits item by item (renewals batch by batch), so a rerun does
what is left and nothing twice. A dry run does everything inside one transaction that is rolled
back: nothing is kept, and no email or provisioning call can escape, because both are rows
(the outbox, provisioning tasks) that the worker only sees once committed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hutor.billing import actions, running, shards
from hutor.billing.models import BillingRun, RunStatus
from hutor.billing.report import Progress, StepReport
from hutor.billing.running import RunInProgress, RunTakenOver
from hutor.core import clock
from hutor.documents import actions as closing
from hutor.documents import advances
from hutor.documents.calculations import previous_month
from hutor.domains import expiry as domain_expiry
from hutor.domains import sync as domain_sync
from hutor.services import certificates, reconcile

__all__ = ["STEPS", "RunInProgress", "Step", "run_billing"]

log = logging.getLogger("hutor.billing")


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    run: Callable[[dt.date, StepReport], None]


# Services per renewal batch for the current run (the command's --batch-size).
_batch_size: ContextVar[int | None] = ContextVar("hutor_billing_batch_size", default=None)
# Processes of the renewal step for the current run (the command's --jobs).
_jobs: ContextVar[int | None] = ContextVar("hutor_billing_jobs", default=None)
# Whether the current run is a dry run (its steps inside one transaction rolled back).
_dry_run: ContextVar[bool] = ContextVar("hutor_billing_dry_run", default=False)


def _renewals(today: dt.date, report: StepReport) -> None:
    batch_size = _batch_size.get() or settings.HUTOR_BILLING_BATCH_SIZE
    jobs = _jobs.get() or shards.default_jobs()
    # Several jobs: one `hutor billing run --shard k/N` process each (billing/shards.py), part
    # of this run (they take none of its locks and write no record of their own).
    shards.renew(today=today, report=report, batch_size=batch_size, jobs=jobs)


def _reconcile(today: dt.date, report: StepReport) -> None:
    """Report-only reconciliation of the servers with billing (services/reconcile.py): the
    desk shows what differs. Never fails the run: a server that cannot be listed, or any error
    here, is logged and counted. Skipped in a dry run, whose steps run inside a transaction
    (no network call inside a transaction)."""
    if _dry_run.get():
        return
    try:
        result = reconcile.run()
    except Exception as exc:
        report.error("reconcile", exc)
        return
    for server in result.servers:
        report.add("servers")
        if server.error:
            report.error(f"server {server.server}", reconcile.ServerNotListed(server.error))
            continue
        report.add("drift", len(server.findings))
        for finding in server.findings:
            report.example(f"{server.server}: {finding.kind} {finding.remote_id}")


def _closing(today: dt.date, report: StepReport) -> None:
    """The previous month's acts / УПД for the accounts that have none yet (documents.actions;
    idempotent, one transaction per account); then a correction for each closed month whose
    paid periods a service cancelled in the last 40 days cut. Other corrections of a closed
    month are made by `hutor documents close-month`, not every day."""
    result = closing.close_month(previous_month(today), corrections=False, progress=report.advance)
    report.add("issued", result.issued)
    for error in result.errors:
        report.error("closing", RuntimeError(error))
    looked_back = closing.correct_after_cancellations(today)
    report.add("corrections", looked_back.corrections)
    for error in looked_back.errors:
        report.error("closing", RuntimeError(error))


def _advances(today: dt.date, report: StepReport) -> None:
    """Advance invoices-factura of the prepayments credited in the last five days that have
    none yet (documents.advances; idempotent, one transaction per payment)."""
    since = today - dt.timedelta(days=advances.WINDOW_DAYS)
    result = advances.issue_advances(since, progress=report.advance)
    report.add("issued", result.issued)
    for error in result.errors:
        report.error("advances", RuntimeError(error))


def _certificates(today: dt.date, report: StepReport) -> None:
    """Renew tasks for certificates that renew without an invoice (ACME) and expire soon
    (services/certificates.py; the worker makes the calls), and a look at the orders waiting
    for the customer's validation (a reseller's): issued ones are downloaded."""
    for pk in certificates.queue_renewals(today):
        report.add("queued")
        report.example(f"service {pk}")
    if _dry_run.get():
        return  # asking the CAs is a network call: not inside a dry run's transaction
    issued, waiting = certificates.refresh_waiting()
    report.add("issued", issued)
    report.add("validating", waiting)


def _domains(today: dt.date, report: StepReport) -> None:
    """Domains near expiry announced (domain.expiring, domains/expiry.py); then the registry's
    view of each domain, kept and compared with billing (domains/sync.py): report-only, never
    fails the run; the sync is skipped in a dry run (no network call inside its transaction)."""
    try:
        report.add("expiring", domain_expiry.announce_expiring(today=today))
    except Exception as exc:
        report.error("domains", exc)
    if _dry_run.get():
        return
    try:
        result = domain_sync.sync_due()
    except Exception as exc:
        report.error("domains", exc)
        return
    report.add("synced", result.synced)
    report.add("failed", result.failed)
    report.add("aligned", result.aligned)
    report.add("renewing", result.renewing)
    report.add("drift", len(result.drift))
    for drift in result.drift:
        report.example(f"{drift.name}: {drift.kind}")


# In this order: money first (a renewal paid today is not reminded of, nor suspended), then
# reminders of what is still unpaid, then the consequences of not paying.
STEPS = [
    Step(
        "payments",
        "Expire stale payments",
        lambda d, r: actions.expire_stale_payments(today=d, report=r),
    ),
    # Before the renewals: a domain in redemption is billed its restore, not a bare renewal.
    Step(
        "redemption",
        "Domains into redemption",
        lambda d, r: actions.into_redemption(today=d, report=r),
    ),
    Step("renewals", "Renewal invoices", _renewals),
    Step(
        "settlement",
        "Settle from balances",
        lambda d, r: actions.settle_from_balances(today=d, report=r),
    ),
    Step(
        "orders",
        "Cancel unpaid orders",
        lambda d, r: actions.cancel_stale_orders(today=d, report=r),
    ),
    Step("reminders", "Reminders", lambda d, r: actions.send_reminders(today=d, report=r)),
    Step(
        "suspensions", "Suspend and expire", lambda d, r: actions.lapse_services(today=d, report=r)
    ),
    Step("terminations", "Terminate", lambda d, r: actions.terminate_lapsed(today=d, report=r)),
    Step("closing", "Closing documents of the last month", _closing),
    Step("advances", "Advance invoices-factura of prepayments", _advances),
    Step("certificates", "Renew certificates near expiry", _certificates),
    Step("domains", "Sync domains with their registries", _domains),
    # Last, once the day's suspensions and terminations are queued.
    Step("reconcile", "Compare servers with billing", _reconcile),
]


class _DryRunRollback(Exception):
    pass


def run_billing(
    *,
    date: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    on_step: Callable[[Step, StepReport], None] | None = None,
    batch_size: int | None = None,
    jobs: int | None = None,
) -> BillingRun:
    """Run every step for `date` (default today) and return the run's record.

    `date` moves the clock to that day (core.clock.travel) for the whole run; `progress` is
    called as items are processed, `on_step` after each step; `batch_size` overrides
    HUTOR_BILLING_BATCH_SIZE; `jobs` is the number of processes of the renewal step (default
    2 on PostgreSQL, 1 on SQLite; a dry run uses one).

    Raises RunInProgress, having done nothing, when another real run is running
    (billing/running.py: one real run at a time, guaranteed by the database).
    """
    token = _batch_size.set(batch_size)
    jobs_token = _jobs.set(jobs)
    dry_token = _dry_run.set(dry_run)
    try:
        return _run(date, dry_run, progress, on_step)
    finally:
        _dry_run.reset(dry_token)
        _jobs.reset(jobs_token)
        _batch_size.reset(token)


def _run(
    date: dt.date | None,
    dry_run: bool,
    progress: Progress | None,
    on_step: Callable[[Step, StepReport], None] | None,
) -> BillingRun:
    today = clock.today()
    travel = clock.travel(date) if date is not None and date != today else contextlib.nullcontext()
    with travel:
        today = clock.today()
        # Marks the runs whose process is gone interrupted (this one carries on their work),
        # or raises RunInProgress while a live one runs.
        # started_at and finished_at are wall-clock times (when the process ran), never moved by
        # --date: `date` is the billing day.
        run = running.claim(date=today, started_at=timezone.now(), dry_run=dry_run)
        heartbeat = None if dry_run else running.Heartbeat(run)
        if heartbeat is not None:
            progress = _beating(progress, heartbeat)
        reports: list[StepReport] = []
        failed = False

        def record(status: str) -> None:
            """Save what the steps did; a final status only while the run still holds the
            claim (a run taken over stays interrupted)."""
            run.counts = {r.step: dict(r.counts) for r in reports}
            run.errors = [e for r in reports for e in r.errors]
            run.error_count = sum(r.error_count for r in reports)
            run.sample = {r.step: r.sample for r in reports if r.sample}
            fields = ["counts", "errors", "error_count", "sample"]
            if status != RunStatus.RUNNING:
                run.finished_at = timezone.now()
                fields.append("finished_at")
            values = {name: getattr(run, name) for name in fields}
            mine = BillingRun.objects.filter(pk=run.pk)
            if status == RunStatus.RUNNING:
                mine.update(**values)
            elif mine.filter(status=RunStatus.RUNNING).update(status=status, **values):
                run.status = status
            else:
                mine.update(**values)
                run.status = RunStatus.INTERRUPTED

        def run_steps() -> None:
            nonlocal failed
            for step in STEPS:
                report = StepReport(
                    step.name,
                    progress=progress,
                    pause=0 if dry_run else settings.HUTOR_BILLING_PAUSE_MS / 1000,
                )
                reports.append(report)
                log.debug("billing run=%s step=%s start", run.pk, step.name)
                # In a dry run each step is a savepoint: one that fails leaves the transaction
                # usable for the next (PostgreSQL refuses anything in an aborted transaction).
                savepoint = transaction.atomic() if dry_run else contextlib.nullcontext()
                try:
                    with savepoint:
                        step.run(today, report)
                except Exception as exc:
                    # A step that stops does not stop the others; the run is marked failed.
                    failed = True
                    log.exception("billing run=%s step=%s failed", run.pk, step.name)
                    report.error(f"step {step.name}", exc)
                if on_step is not None:
                    on_step(step, report)
                if heartbeat is not None:
                    heartbeat.beat(force=True)  # raises RunTakenOver if no longer the one
                    record(RunStatus.RUNNING)

        try:
            if dry_run:
                try:
                    with transaction.atomic():
                        run_steps()
                        raise _DryRunRollback
                except _DryRunRollback:
                    pass
            else:
                run_steps()
        except RunTakenOver:
            log.error("billing run=%s stopped: another run marked it interrupted", run.pk)
            record(RunStatus.INTERRUPTED)
            return run
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C, or SIGTERM turned into an exit
            record(RunStatus.INTERRUPTED)
            raise
        except BaseException:
            record(RunStatus.FAILED)
            raise
        record(RunStatus.FAILED if failed else RunStatus.DONE)
    return run


def _beating(progress: Progress | None, heartbeat: running.Heartbeat) -> Progress:
    """The progress callback with the run's heartbeat: called after each committed item or
    batch, in the run's own process (the renewal step's workers report to it)."""

    def beat(step: str, done: int, total: int) -> None:
        heartbeat.beat()
        if progress is not None:
            progress(step, done, total)

    return beat
