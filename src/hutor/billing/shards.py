"""The renewal step in several processes (PostgreSQL): one `hutor billing run --shard k/N`
process per shard, each renewing the services of the billing accounts whose id % N == k.

The run starts them as ordinary commands in fresh interpreters (subprocess, no fork): each
opens its own database connection from the same settings and environment, renews its shard
batch by batch (billing/renewals.py) and reports on stdout, one JSON object a line:
`{"done": d, "total": t}` as its batches commit, then `{"report": {...}}` (counts, sample,
errors). The run merges their reports into its own renewal step. A shard is part of a run: it
writes no BillingRun record and takes none of the run's locks; the run that started it holds
them. An operator may start the shards by hand on several machines (see docs/operations.md).

Safe because shards share no billing account (and every batch locks its accounts first, so even
an overlap would only wait), every batch is its own transaction, invoice numbers come from the
row-locked sequence (a block per batch, held until it commits) and the unique constraints
(renewal per service and period, entry and email keys) stay the last word, as for two runs
side by side.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import subprocess
import sys
import threading
import time
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

from hutor.billing import fastpath
from hutor.billing.renewals import Shard, due_services, prepare, renew_due
from hutor.billing.report import ERRORS_KEPT, Progress, StepReport
from hutor.core import clock


def default_jobs() -> int:
    """Processes of the renewal step by default: 2 on PostgreSQL, 1 on SQLite (one writer)."""
    return 2 if fastpath.enabled() else 1


def parse_shard(text: str) -> Shard:
    """«k/N» -> (k, N), with 0 <= k < N; ValueError otherwise."""
    k_text, sep, n_text = text.partition("/")
    if not sep or not k_text.isdigit() or not n_text.isdigit():
        raise ValueError(text)
    k, n = int(k_text), int(n_text)
    if not 0 <= k < n:
        raise ValueError(text)
    return k, n


def renew(*, today: dt.date, report: StepReport, batch_size: int, jobs: int) -> None:
    """The run's renewal step: in `jobs` shard processes when that can help (PostgreSQL,
    outside a transaction: a dry run's transaction cannot be shared; something due), else in
    this process."""
    if jobs <= 1 or not fastpath.enabled() or connection.in_atomic_block:
        renew_due(today=today, report=report, batch_size=batch_size)
        return
    if not due_services(today).exists():
        report.add("due", 0)
        return
    prepare(today)  # the revenue accounts, before the shards start side by side
    _run_shards(today=today, report=report, batch_size=batch_size, jobs=jobs)


def run_shard(
    *, date: dt.date | None, shard: Shard, batch_size: int, progress: Progress | None, pause: float
) -> StepReport:
    """One shard of the renewal step in this process (`hutor billing run --shard k/N`)."""
    travel = (
        clock.travel(date)
        if date is not None and date != clock.today()
        else contextlib.nullcontext()
    )
    with travel:
        report = StepReport("renewals", progress=progress, pause=pause)
        renew_due(today=clock.today(), report=report, batch_size=batch_size, shard=shard)
    return report


# Set by the run in its shards' environment: the run's process id.
PARENT_ENV = "HUTOR_BILLING_SHARD_PARENT"


def watch_parent() -> None:
    """In a shard the run started: exit at once when the run's process is gone (killed), as a
    forked child of a killed run would have been lost with it, so no shard outlives its run
    (and its lock). The batch in progress rolls back, like any batch of a killed run. A shard
    started by hand has no such parent and is not watched."""
    expected = os.environ.get(PARENT_ENV)
    if not expected or not expected.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(expected):
            time.sleep(0.5)
        os._exit(3)

    if os.getppid() != int(expected):
        os._exit(3)  # gone before this shard began
    threading.Thread(target=watch, daemon=True).start()


def report_json(report: StepReport) -> dict[str, Any]:
    return {
        "counts": dict(report.counts),
        "sample": report.sample,
        "errors": report.errors,
        "error_count": report.error_count,
    }


def _environment() -> dict[str, str]:
    """The shards' environment: this process's, with DATABASE_URL naming the database this
    process's connection actually uses (the same, except under a test run, whose database is
    test_<name>), and this process's id (watch_parent)."""
    env = dict(os.environ)
    env[PARENT_ENV] = str(os.getpid())
    url = env.get("DATABASE_URL")
    name = connection.settings_dict["NAME"]
    if url:
        parts = urlsplit(url)
        if parts.path.lstrip("/") != name:
            env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return env


def _command(k: int, jobs: int, today: dt.date, batch_size: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hutor.cli",
        "billing",
        # The run's own process has the same settings and code: the system checks (URLs,
        # templates, admin) would only cost each shard its start.
        "--skip-checks",
        "run",
        "--shard",
        f"{k}/{jobs}",
        "--date",
        today.isoformat(),
        "--batch-size",
        str(batch_size),
        "--json",
    ]


def _reader(k: int, stream: IO[str], messages: queue.Queue[tuple[int, Any]]) -> None:
    for line in stream:
        with contextlib.suppress(ValueError):  # not ours (a library printing): ignored
            messages.put((k, json.loads(line)))
    messages.put((k, None))  # end of output: the process is exiting


def _run_shards(*, today: dt.date, report: StepReport, batch_size: int, jobs: int) -> None:
    env = _environment()
    messages: queue.Queue[tuple[int, Any]] = queue.Queue()
    procs: list[subprocess.Popen[str]] = []
    try:
        for k in range(jobs):
            proc = subprocess.Popen(  # noqa: S603 - our own command, no shell
                _command(k, jobs, today, batch_size),
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
            procs.append(proc)
            assert proc.stdout is not None
            threading.Thread(target=_reader, args=(k, proc.stdout, messages), daemon=True).start()
        done, totals = [0] * jobs, [0] * jobs
        results: dict[int, dict[str, Any]] = {}
        open_streams = jobs
        while open_streams:
            k, message = messages.get()
            if message is None:
                open_streams -= 1
            elif "report" in message:
                results[k] = message["report"]
            elif "done" in message:
                done[k], totals[k] = message["done"], message["total"]
                if report.progress is not None:
                    report.progress(report.step, sum(done), sum(totals))
        for proc in procs:
            proc.wait()
    finally:
        for proc in procs:
            if proc.poll() is None:  # the run was interrupted: its shards stop with it
                proc.terminate()
                proc.wait()
    _merge(report, procs, results)


def _merge(
    report: StepReport, procs: list[subprocess.Popen[str]], results: dict[int, dict[str, Any]]
) -> None:
    for k, proc in enumerate(procs):
        result = results.get(k)
        if result is None:
            # Its committed batches stand; the rest are renewed by the next run.
            report.error(
                f"renewal shard {k}/{len(procs)}",
                RuntimeError(f"exited with code {proc.returncode} before reporting"),
            )
            continue
        report.counts.update({key: n for key, n in result["counts"].items() if n})
        for text in result["sample"]:
            report.example(text)
        room = max(ERRORS_KEPT - len(report.errors), 0)
        report.errors.extend(result["errors"][:room])
        report.error_count += result["error_count"]
