"""/healthz and /readyz through the HTTP client, with the real settings' host check and https
redirect in force."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from hutor.billing.models import BillingRun, RunStatus
from hutor.core.models import WorkerHeartbeat


def test_healthz_answers_without_database_or_allowed_host(client, settings):
    settings.ALLOWED_HOSTS = ["billing.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def worker_ran(db):
    """A worker that went once round its loop: its heartbeat is fresh."""
    call_command("worker", "--once")
    return WorkerHeartbeat.objects.get()


def run(status, *, hours_ago=1, dry_run=False):
    end = timezone.now() - dt.timedelta(hours=hours_ago)
    return BillingRun.objects.create(
        date=end.date(),
        status=status,
        dry_run=dry_run,
        started_at=end - dt.timedelta(seconds=90),
        finished_at=None if status == RunStatus.RUNNING else end,
        counts={"renewals": {"due": 3, "issued": 3}},
    )


def test_readyz_on_a_fresh_install_with_a_worker(client, worker_ran):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert set(checks) == {"database", "cache", "migrations", "worker", "billing_run"}
    assert all(check["ok"] for check in checks.values())
    assert checks["billing_run"]["detail"] == "no run yet"


def test_the_worker_writes_its_heartbeat_each_round(worker_ran):
    first = worker_ran.seen_at
    call_command("worker", "--once")
    beat = WorkerHeartbeat.objects.get()
    assert beat.pk == worker_ran.pk and beat.seen_at >= first


def test_readyz_fails_without_a_worker(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_readyz_fails_on_a_stale_heartbeat(client, worker_ran, settings):
    settings.HUTOR_READY_WORKER_MINUTES = 5
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - dt.timedelta(minutes=6))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


@pytest.mark.parametrize(
    ("runs", "ready"),
    [
        ([(RunStatus.DONE, 2)], True),
        ([(RunStatus.DONE, 30)], False),  # older than HUTOR_READY_BILLING_HOURS (26)
        ([(RunStatus.DONE, 30), (RunStatus.FAILED, 2)], False),
        ([(RunStatus.INTERRUPTED, 2)], False),
        ([(RunStatus.DONE, 2), (RunStatus.RUNNING, 0)], True),  # the one before decides
        ([(RunStatus.FAILED, 3), (RunStatus.DONE, 1)], True),
    ],
)
def test_readyz_reads_the_last_ended_billing_run(client, worker_ran, runs, ready):
    for status, hours in runs:
        run(status, hours_ago=hours)
    run(RunStatus.FAILED, hours_ago=0, dry_run=True)  # dry runs never count
    response = client.get("/readyz")
    assert (response.status_code == 200) is ready, response.json()
    assert response.json()["checks"]["billing_run"]["ok"] is ready
