"""What /readyz checks (docs/operations.md, "Monitoring"). Each check answers (ok, detail);
details name the cause without any address, path or secret (the page is public)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hutor.billing.models import BillingRun, RunStatus
from hutor.core import heartbeat

Check = tuple[bool, str]


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, "reachable"


def cache_() -> Check:
    key, value = "hutor:readyz", uuid.uuid4().hex
    cache.set(key, value, 30)
    if cache.get(key) != value:
        return False, "a value written could not be read back"
    return True, "reachable"


def migrations() -> Check:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return False, f"{len(plan)} migrations not applied: run `hutor migrate`"
    return True, "applied"


def worker() -> Check:
    seen = heartbeat.last_seen()
    limit = dt.timedelta(minutes=settings.HUTOR_READY_WORKER_MINUTES)
    if seen is None:
        return False, "no worker has run: start `hutor worker`"
    age = timezone.now() - seen
    if age > limit:
        return False, f"last worker heartbeat {int(age.total_seconds())} s ago"
    return True, f"last heartbeat {int(age.total_seconds())} s ago"


def billing_run() -> Check:
    """The last real run that ended must have ended "done", within HUTOR_READY_BILLING_HOURS.
    A fresh install, which has had no real run yet, passes ("no run yet"): it has nothing to
    bill. A run in progress neither passes nor fails the check: the one before it decides."""
    ended = (
        BillingRun.objects.filter(dry_run=False)
        .exclude(status=RunStatus.RUNNING)
        .order_by("-started_at", "-pk")
        .first()
    )
    if ended is None:
        return True, "no run yet"
    if ended.status != RunStatus.DONE:
        return False, f"billing run {ended.pk} ended {ended.status}"
    finished = ended.finished_at or ended.started_at
    age = timezone.now() - finished
    if age > dt.timedelta(hours=settings.HUTOR_READY_BILLING_HOURS):
        return False, f"last billing run finished {int(age.total_seconds() // 3600)} h ago"
    return True, f"run {ended.pk} done"


CHECKS: dict[str, Callable[[], Check]] = {
    "database": database,
    "cache": cache_,
    "migrations": migrations,
    "worker": worker,
    "billing_run": billing_run,
}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        # Without the database the checks that read it say so, rather than time out again.
        if name not in {"database", "cache"} and not results["database"]["ok"]:
            results[name] = {"ok": False, "detail": "database unreachable"}
            continue
        try:
            ok, detail = check()
        except Exception as exc:  # the check's own failure is the answer
            ok, detail = False, f"failed: {type(exc).__name__}"
        results[name] = {"ok": ok, "detail": detail}
    return all(r["ok"] for r in results.values()), results
