"""The renewal step in shards: `hutor billing run --shard k/N` renews the services of the
billing accounts whose id % N == k; the run (`--jobs N`, PostgreSQL) starts N such processes
(fresh interpreters, each with its own connection) and merges their reports; together they
renew every due service exactly once."""

import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from hutor.billing import shards
from hutor.billing.models import BillingRun, Renewal
from hutor.billing.run import run_billing
from hutor.invoices.models import Invoice, InvoiceLine
from hutor.ledger import checks
from hutor.services.models import Service

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 1)


@pytest.fixture
def due_services(catalog, account_factory, top_up, active_service):
    """25 accounts with two due services each; every fifth account cannot pay."""
    services = []
    with time_machine.travel(NOON, tick=False):
        for i in range(25):
            account = account_factory()
            if i % 5:
                top_up(account, "1000.00")
            for j in range(2):
                services.append(
                    active_service(
                        account,
                        paid_until=TODAY + dt.timedelta(days=(i + j) % 7),
                        identifier=f"s{i}-{j}.example.ru",
                    )
                )
    return services


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed data: the shard processes read it
@pytest.mark.skipif(connection.vendor != "postgresql", reason="shard processes need PostgreSQL")
def test_the_run_renews_in_shard_processes_every_service_exactly_once(due_services, monkeypatch):
    started = []
    original = shards._command

    def spy(k, jobs, today, batch_size):
        started.append(f"{k}/{jobs}")
        return original(k, jobs, today, batch_size)

    monkeypatch.setattr(shards, "_command", spy)  # records the commands; runs them unchanged
    progress: list[int] = []
    run = run_billing(
        date=TODAY, jobs=2, batch_size=7, progress=lambda step, done, total: progress.append(done)
    )
    assert sorted(started) == ["0/2", "1/2"]
    assert run.status == "done" and run.error_count == 0, run.errors
    counts = run.counts["renewals"]
    assert counts["due"] == counts["issued"] == 50
    assert counts["paid"] == 40
    assert progress and progress[-1] == 50
    assert BillingRun.objects.count() == 1  # the shards are part of the run, not runs

    per_service = Counter(Renewal.objects.values_list("service_id", flat=True))
    assert per_service == Counter({service.pk: 1 for service in due_services})
    assert Counter(InvoiceLine.objects.values_list("service_id", flat=True)) == per_service
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"27-{n:06d}" for n in range(1, 51)]  # no gaps, no duplicates
    assert checks.run().ok

    # A rerun finds nothing left to do.
    again = run_billing(date=TODAY, jobs=2, batch_size=7)
    assert again.error_count == 0, again.errors
    assert "issued" not in again.counts["renewals"]
    assert Renewal.objects.count() == 50
    assert checks.run().ok


@pytest.mark.django_db
def test_a_shard_started_by_hand_renews_only_its_accounts(due_services):
    out = io.StringIO()
    with time_machine.travel(NOON, tick=False):
        call_command("billing", "run", "--shard", "1/3", "--json", stdout=out)
    mine = {s.pk for s in Service.objects.all() if s.billing_account_id % 3 == 1}
    assert 0 < len(mine) < 50
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    report = lines[-1]["report"]
    assert all("done" in line for line in lines[:-1]) and lines[-2]["done"] == len(mine)
    assert set(Renewal.objects.values_list("service_id", flat=True)) == mine
    assert report["counts"]["due"] == report["counts"]["issued"] == len(mine)
    assert report["error_count"] == 0
    assert not BillingRun.objects.exists()

    # The other shards, in plain text, finish the day's renewals.
    text = io.StringIO()
    with time_machine.travel(NOON, tick=False):
        for shard in ("0/3", "2/3"):
            call_command("billing", "run", "--shard", shard, stdout=text)
    assert "billing shard=0/3 step=renewals due=" in text.getvalue()
    assert Renewal.objects.count() == 50
    assert checks.run().ok


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2/2", "1", "a/2", "-1/2", "1/0"])
def test_a_malformed_shard_is_refused_and_moves_nothing(value, due_services):
    with pytest.raises(CommandError, match="--shard"):
        call_command("billing", "run", "--shard", value, stdout=io.StringIO())
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_shard_is_not_a_dry_run(due_services):
    with pytest.raises(CommandError, match="--dry-run"):
        call_command("billing", "run", "--shard", "0/2", "--dry-run", stdout=io.StringIO())
    assert not Invoice.objects.exists()


def test_a_shard_started_by_a_run_exits_when_the_run_is_gone(tmp_path):
    """A shard whose run (HUTOR_BILLING_SHARD_PARENT) is not its parent process any more stops
    at once, so no shard outlives a killed run; it renews nothing (no database is touched)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "HUTOR_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="hutor.settings",
        HUTOR_VAR_DIR=str(tmp_path),
        SECRET_KEY="shard-test-only",
        HUTOR_BILLING_SHARD_PARENT="1",  # not this test's process: the "run" is gone
        HUTOR_BILLING_PAUSE_MS="1000",
    )
    hutor = [sys.executable, "-m", "hutor.cli"]
    subprocess.run([*hutor, "migrate", "-v0"], env=env, check=True, timeout=120)
    began = time.monotonic()
    child = subprocess.run(
        [*hutor, "billing", "run", "--shard", "0/2", "--json"],
        env=env,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert child.returncode == 3, child.stdout + child.stderr
    assert '"report"' not in child.stdout
    assert time.monotonic() - began < 30
    # Started by hand (no run to watch), the same shard runs to its end.
    del env["HUTOR_BILLING_SHARD_PARENT"]
    done = subprocess.run(
        [*hutor, "billing", "run", "--shard", "0/2", "--json"],
        env=env,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["report"]["error_count"] == 0
