"""`hutor billing run [--date YYYY-MM-DD] [--dry-run] [--batch-size N] [--jobs N]`: the daily
billing run (billing/run.py).

`hutor billing run --shard K/N [--date D] [--batch-size N] [--json]` runs one shard of the
renewal step only (the services of billing accounts whose id % N == K): the run starts its
shards this way (`--jobs N`, billing/shards.py); an operator may too (docs/operations.md).

In a terminal it draws a progress bar per step and ends with a summary table; otherwise (cron,
systemd) it logs one key=value line per step and a final one, for log collectors: those keep
their codes in every language, the terminal's table is in HUTOR_CLI_LANGUAGE. It exits 1 when a
step failed or an item could not be processed (see the run in the admin), and 75
(running.EXIT_RUN_IN_PROGRESS) having done nothing when another billing run is running.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.billing import shards
from hutor.billing.models import BillingRun, RunStatus
from hutor.billing.report import StepReport
from hutor.billing.run import STEPS, RunInProgress, Step, run_billing
from hutor.billing.running import EXIT_RUN_IN_PROGRESS
from hutor.commands import HutorCommand

# The steps' titles in the run's language (billing.run keeps them in English, for logs).
STEP_TITLES = {
    "payments": gettext_lazy("Expire stale payments"),
    "redemption": gettext_lazy("Domains into redemption"),
    "renewals": gettext_lazy("Renewal invoices"),
    "settlement": gettext_lazy("Settle from balances"),
    "orders": gettext_lazy("Cancel unpaid orders"),
    "reminders": gettext_lazy("Reminders"),
    "suspensions": gettext_lazy("Suspend and expire"),
    "terminations": gettext_lazy("Terminate"),
    "closing": gettext_lazy("Closing documents of the last month"),
    "certificates": gettext_lazy("Renew certificates near expiry"),
    "domains": gettext_lazy("Sync domains with their registries"),
    "reconcile": gettext_lazy("Compare servers with billing"),
}


def _title(step: Step) -> str:
    return str(STEP_TITLES.get(step.name, step.title))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--date: expected YYYY-MM-DD, not «%(text)s»") % {"text": text}
        ) from None


def _in_progress(exc: RunInProgress) -> CommandError:
    holder = exc.holder
    # In the run's language: HutorCommand has activated HUTOR_CLI_LANGUAGE.
    message = _(
        "Another billing run is running: run %(run)s, started %(started)s by process "
        "%(pid)s on %(host)s. This run did nothing; the running one does the work. If that "
        "process is gone, the next run marks it interrupted and carries on."
    ) % {
        "run": holder.pk,
        "started": formats.date_format(timezone.localtime(holder.started_at), "DATETIME_FORMAT"),
        "pid": holder.pid if holder.pid is not None else "?",
        "host": holder.host or "?",
    }
    return CommandError(message, returncode=EXIT_RUN_IN_PROGRESS)


def _counts(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items()) or "-"


class Command(HutorCommand):
    help = gettext_lazy(
        "The daily billing run: renewals, settlement, reminders, suspension, termination."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help=_("run every step for a day (safe to repeat)"))
        run.add_argument("--date", type=str, help=_("the billing day, YYYY-MM-DD (default today)"))
        run.add_argument(
            "--dry-run", action="store_true", help=_("show what would be done; change nothing")
        )
        run.add_argument("--batch-size", type=int, help=_("services per renewal transaction"))
        run.add_argument(
            "--jobs",
            type=int,
            help=_("processes of the renewal step (default 2 on PostgreSQL, 1 on SQLite)"),
        )
        run.add_argument(
            "--shard",
            metavar="K/N",
            help="only the renewal step, for billing accounts whose id %% N == K (a part of a run)",
        )
        run.add_argument(
            "--json", action="store_true", help="with --shard: progress and report as JSON lines"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        date = _date(options["date"]) if options.get("date") else None
        if options.get("shard"):
            self._shard(date, options)
            return
        tty = self.stdout.isatty()
        started = time.monotonic()
        bar = _Bar(self) if tty else None
        last_logged: dict[str, float] = {}

        def progress(step: str, done: int, total: int) -> None:
            if bar is not None:
                bar.draw(step, done, total)
            elif time.monotonic() - last_logged.get(step, started) >= 10 or done == total:
                last_logged[step] = time.monotonic()
                self.stdout.write(f"billing step={step} done={done} total={total}")

        def on_step(step: Step, report: StepReport) -> None:
            if bar is not None:
                bar.finish(step, report)
            else:
                self.stdout.write(
                    f"billing step={step.name} {_counts(dict(report.counts))} "
                    f"errors={report.error_count}"
                )

        try:
            run = run_billing(
                date=date,
                dry_run=options["dry_run"],
                progress=progress,
                on_step=on_step,
                batch_size=options.get("batch_size"),
                jobs=options.get("jobs"),
            )
        except RunInProgress as exc:
            raise _in_progress(exc) from None
        if tty:
            self._summary(run)
        else:
            self.stdout.write(
                f"billing run={run.pk} date={run.date} dry_run={str(run.dry_run).lower()} "
                f"status={run.status} errors={run.error_count} seconds={run.duration or 0:.1f}"
            )
        if run.status == RunStatus.FAILED or run.error_count:
            raise CommandError(
                _("billing run %(run)s: %(errors)s error(s); see the run in the admin")
                % {"run": run.pk, "errors": run.error_count}
            )

    def _shard(self, date: dt.date | None, options: dict[str, Any]) -> None:
        """One shard of the renewal step: no run record, no run lock (it is part of a run)."""
        try:
            shard = shards.parse_shard(options["shard"])
        except ValueError:
            raise CommandError(
                _("--shard: expected K/N with 0 <= K < N, not %(value)r")
                % {"value": options["shard"]}
            ) from None
        if options["dry_run"]:
            raise CommandError(_("--shard cannot be combined with --dry-run"))
        shards.watch_parent()
        as_json = options["json"]

        def progress(step: str, done: int, total: int) -> None:
            if as_json:
                self.stdout.write(json.dumps({"done": done, "total": total}))
                self.stdout.flush()

        report = shards.run_shard(
            date=date,
            shard=shard,
            batch_size=options.get("batch_size") or settings.HUTOR_BILLING_BATCH_SIZE,
            progress=progress,
            pause=settings.HUTOR_BILLING_PAUSE_MS / 1000,
        )
        if as_json:
            self.stdout.write(json.dumps({"report": shards.report_json(report)}))
        else:
            self.stdout.write(
                f"billing shard={shard[0]}/{shard[1]} step=renewals "
                f"{_counts(dict(report.counts))} errors={report.error_count}"
            )
        if report.error_count:
            raise CommandError(
                _("billing shard %(shard)s: %(n)d error(s)")
                % {"shard": options["shard"], "n": report.error_count}
            )

    def _summary(self, run: BillingRun) -> None:
        out = self.stdout
        out.write("")
        title = _("Billing run #%(run)s for %(date)s") % {"run": run.pk, "date": run.date}
        if run.dry_run:
            title += _(": DRY RUN, nothing was changed")
        out.write(self.style.MIGRATE_HEADING(title))
        status = _("Status")
        width = max(len(status), *(len(_title(step)) for step in STEPS))
        for step in STEPS:
            out.write(f"  {_title(step):<{width}}  {_counts(run.counts.get(step.name, {}))}")
        out.write(
            f"  {status:<{width}}  "
            + _("%(status)s, %(errors)s error(s), %(seconds)s s")
            % {
                "status": run.get_status_display(),
                "errors": run.error_count,
                "seconds": f"{run.duration or 0:.1f}",
            }
        )
        if run.sample:
            out.write(self.style.MIGRATE_HEADING(_("Sample") if run.dry_run else _("Examples")))
            for step in STEPS:
                for line in run.sample.get(step.name, []):
                    out.write(f"  {step.name}: {line}")
        for error in run.errors[:10]:
            out.write(self.style.ERROR(f"  {error['step']}: {error['object']}: {error['error']}"))


class _Bar:
    """A one-line progress bar for a terminal."""

    def __init__(self, command: BaseCommand) -> None:
        self.out = command.stdout
        self.width = max(10, min(40, shutil.get_terminal_size().columns - 50))
        self.titles = {step.name: _title(step) for step in STEPS}
        self.started = time.monotonic()

    def draw(self, step: str, done: int, total: int) -> None:
        filled = int(self.width * done / total) if total else self.width
        rate = done / max(time.monotonic() - self.started, 1e-6)
        self.out.write(
            f"\r{self.titles.get(step, step):<22} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{done}/{total} {rate:,.0f}/s",
            ending="",
        )
        self.out.flush()

    def finish(self, step: Step, report: StepReport) -> None:
        self.out.write(f"\r{_title(step):<22} {_counts(dict(report.counts))}\033[K")
        self.started = time.monotonic()
