"""One real billing run at a time (finding 7): a second run started while one is running is
refused with the running one's start, process and host, and exits 75 having done nothing; a
run whose process is gone (dead process id on this host, or no heartbeat for
HEARTBEAT_TIMEOUT) is marked interrupted by the next run, which carries on; a live one never is.

The in-process cases simulate the running run by its row (a live process id, a dead one, a
stale heartbeat); the last case runs real processes side by side, on a SQLite file and, on a
PostgreSQL run, on the test database."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hutor.billing import running
from hutor.billing.models import BillingRun, RunStatus
from hutor.billing.run import RunInProgress, run_billing


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: no process has this id now
    return child.pid


def _running_row(**fields) -> BillingRun:
    now = timezone.now()
    values = {
        "date": timezone.localdate(),
        "started_at": now,
        "heartbeat_at": now,
        "pid": os.getpid(),
        "host": running.this_host(),
        **fields,
    }
    return BillingRun.objects.create(**values)


def _statuses() -> list[str]:
    return list(BillingRun.objects.order_by("pk").values_list("status", flat=True))


@pytest.mark.django_db
def test_a_second_run_is_refused_while_a_live_one_runs():
    live = _running_row()  # this very process: alive
    with pytest.raises(RunInProgress) as refused:
        run_billing()
    assert refused.value.holder.pk == live.pk
    assert _statuses() == ["running"]  # not marked interrupted, and no second run recorded


@pytest.mark.django_db
def test_the_database_admits_one_running_real_run():
    _running_row()
    with pytest.raises(IntegrityError), transaction.atomic():
        _running_row(pid=1)
    _running_row(dry_run=True)  # dry runs hold no claim
    BillingRun.objects.create(date=timezone.localdate(), started_at=timezone.now(), status="done")


@pytest.mark.django_db
def test_the_command_says_who_is_running_and_exits_75(settings):
    live = _running_row(started_at=dt.datetime(2027, 3, 1, 0, 30, tzinfo=dt.UTC))
    settings.HUTOR_CLI_LANGUAGE = "en"
    with pytest.raises(CommandError) as refused:
        call_command("billing", "run", stdout=io.StringIO())
    assert refused.value.returncode == running.EXIT_RUN_IN_PROGRESS == 75
    message = str(refused.value)
    assert f"Another billing run is running: run {live.pk}" in message
    assert f"process {os.getpid()} on {running.this_host()}" in message
    assert "March 1, 2027, 3:30 a.m." in message  # the local time (Europe/Moscow)
    assert "This run did nothing" in message
    with pytest.raises(CommandError) as dry:
        call_command("billing", "run", "--dry-run", stdout=io.StringIO())
    assert dry.value.returncode == 75  # a dry run waits for the real one too

    settings.HUTOR_CLI_LANGUAGE = "ru"  # the default of the real settings
    with pytest.raises(CommandError) as russian:
        call_command("billing", "run", stdout=io.StringIO())
    assert russian.value.returncode == 75
    assert f"Уже идёт другой запуск биллинга: запуск {live.pk}" in str(russian.value)
    assert _statuses() == ["running"]  # nothing recorded by the refused runs; live is left alone


@pytest.mark.django_db
def test_a_run_whose_process_died_is_marked_interrupted_and_the_next_one_carries_on():
    dead = _running_row(pid=_dead_pid())  # killed a moment ago: its heartbeat is fresh
    run = run_billing()
    assert run.status == RunStatus.DONE
    dead.refresh_from_db()
    assert dead.status == RunStatus.INTERRUPTED and dead.finished_at is None
    assert (run.pid, run.host) == (os.getpid(), running.this_host())
    assert run.heartbeat_at is not None


@pytest.mark.django_db
def test_a_silent_run_elsewhere_is_gone_after_the_heartbeat_timeout():
    now = timezone.now()
    quiet = running.HEARTBEAT_TIMEOUT - dt.timedelta(minutes=1)
    elsewhere = _running_row(host="another-host", pid=1, heartbeat_at=now - quiet)
    with pytest.raises(RunInProgress):  # another host, beat 9 minutes ago: alive
        run_billing()
    with time_machine.travel(now + dt.timedelta(minutes=2), tick=False):
        run = run_billing()  # 11 minutes without a sign of life: gone
    elsewhere.refresh_from_db()
    assert elsewhere.status == RunStatus.INTERRUPTED and run.status == RunStatus.DONE


@pytest.mark.django_db
def test_a_live_pid_with_a_stale_heartbeat_is_gone():
    # The process id was reused by an unrelated process: the heartbeat tells.
    stale = timezone.now() - running.HEARTBEAT_TIMEOUT - dt.timedelta(seconds=1)
    _running_row(heartbeat_at=stale)
    assert run_billing().status == RunStatus.DONE
    assert _statuses() == ["interrupted", "done"]


@pytest.mark.django_db
def test_a_dry_run_is_refused_beside_a_real_run_but_does_not_block_one():
    dry = _running_row(dry_run=True)  # a dry run in progress (this live process)
    real = run_billing()
    assert real.status == RunStatus.DONE
    dry.refresh_from_db()
    assert dry.status == RunStatus.RUNNING  # alive: left alone
    real_running = _running_row()
    with pytest.raises(RunInProgress) as refused:
        run_billing(dry_run=True)
    assert refused.value.holder.pk == real_running.pk
    # A dry run whose process died is marked interrupted too.
    BillingRun.objects.filter(pk=dry.pk).update(pid=_dead_pid())
    real_running.delete()
    assert run_billing(dry_run=True).status == RunStatus.DONE
    dry.refresh_from_db()
    assert dry.status == RunStatus.INTERRUPTED


@pytest.mark.django_db
def test_the_heartbeat_moves_as_steps_progress_and_a_run_taken_over_stops():
    seen: list[tuple[str, dt.datetime | None]] = []

    def on_step(step, report):
        mine = BillingRun.objects.get(status=RunStatus.RUNNING)
        seen.append((step.name, mine.heartbeat_at))
        if step.name == "settlement":
            # Another run judged this one gone (e.g. the machine froze for 10 minutes).
            BillingRun.objects.filter(pk=mine.pk).update(status=RunStatus.INTERRUPTED)

    with time_machine.travel(timezone.now(), tick=True) as traveller:

        def slow_step(step, report):
            traveller.shift(dt.timedelta(seconds=running.HEARTBEAT_EVERY + 1))
            on_step(step, report)

        run = run_billing(on_step=slow_step)
    assert run.status == RunStatus.INTERRUPTED and run.finished_at is not None
    assert [name for name, _at in seen] == ["payments", "redemption", "renewals", "settlement"]
    beats = [at for _name, at in seen if at is not None]
    assert len(beats) == 4 and beats == sorted(set(beats))  # a later beat after each step
    # It stopped there.
    assert set(run.counts) == {"payments", "redemption", "renewals", "settlement"}
    assert _statuses() == ["interrupted"]


# --- Real processes side by side ---------------------------------------------------------------

HOLDER = """
import time, django
django.setup()
from hutor.billing.run import run_billing

def on_step(step, report):
    if step.name == "payments":  # the run holds the claim: say so, then take its time
        print("claimed", flush=True)
        time.sleep(300)

run_billing(on_step=on_step)
"""

STATUS = (
    "import json; from hutor.billing.models import BillingRun; "
    'rows = BillingRun.objects.order_by("pk").values_list("status", "dry_run", "pid"); '
    "print(json.dumps(list(rows)))"
)


def _env(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "LC_ALL", "LC_MESSAGES", "LANG"}
        and not k.startswith("HUTOR_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hutor.settings",
        HUTOR_VAR_DIR=str(tmp_path),
        SECRET_KEY="billing-test-only",
        DEBUG="0",
        LOG_LEVEL="CRITICAL",
        HUTOR_CLI_LANGUAGE="en",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _hutor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hutor.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.django_db(transaction=True))]
)
def processes_env(request, tmp_path):
    """Processes sharing one database: a fresh SQLite file; on a PostgreSQL run, the test
    database (emptied after the test, as the test is transactional)."""
    if request.param == "sqlite":
        env = _env(tmp_path, None)
        migrated = _hutor(env, "migrate", "-v0")
        assert migrated.returncode == 0, migrated.stderr
        return env
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL case runs when the tests run on PostgreSQL")
    s = connection.settings_dict
    url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return _env(tmp_path, f"{url}/{s['NAME']}")


def test_two_processes_one_runs_the_other_is_refused_then_a_killed_run_is_carried_on(
    processes_env,
):
    env = processes_env
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        second = _hutor(env, "billing", "run")
        assert second.returncode == 75, second.stdout + second.stderr
        assert "Another billing run is running" in second.stderr
        assert f"by process {holder.pid} on" in second.stderr
        assert _hutor(env, "billing", "run", "--dry-run").returncode == 75
    finally:
        holder.send_signal(signal.SIGKILL)  # killed in the middle of its run
        holder.wait(timeout=60)
    after = _hutor(env, "billing", "run")
    assert after.returncode == 0, after.stdout + after.stderr
    status = _hutor(env, "shell", "-c", STATUS)
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout.strip().splitlines()[-1])
    assert rows[0] == ["interrupted", False, holder.pid]
    assert rows[-1][:2] == ["done", False]
    assert [row[0] for row in rows].count("running") == 0
