"""Running queued provisioning tasks: `hutor worker` calls `run_due_tasks()`.

A task is claimed in a short transaction (status running, its next attempt moved past a lease,
under SKIP LOCKED on PostgreSQL so several workers share the queue), the module is called
outside any transaction (a slow control panel never holds a database lock), and the outcome is
saved: done, a to-do for staff, or another try after a backoff; after the last try the task is
marked failed for staff to see and retry. A worker that dies mid-call leaves its task running
until the lease lapses, then another worker takes it again (modules are idempotent).

Tasks of one service run in the order they were queued: a task waits while an earlier task of
its service is still queued or running, so an unsuspend never overtakes the suspend before it.
A failed or to-do task does not hold the later ones back; nothing here ever blocks billing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from hutor.core import clock
from hutor.services.models import ProvisioningStatus, ProvisioningTask
from hutor.services.provisioning import get_module, perform

log = logging.getLogger("hutor.provisioning")

# Waits between tries; after the last one the task is marked failed.
RETRY_DELAYS = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 720)]
# How long a claimed task is left to its worker before another may take it (a crashed worker).
CLAIM_LEASE = dt.timedelta(minutes=10)

UNFINISHED = (ProvisioningStatus.PENDING, ProvisioningStatus.RUNNING)


@dataclass
class TaskReport:
    done: int = 0
    todo: int = 0
    retried: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.done or self.todo or self.retried or self.failed)


def _due() -> Q:
    return Q(status__in=UNFINISHED, next_attempt_at__lte=clock.now())


def _earlier_unfinished() -> Exists:
    return Exists(
        ProvisioningTask.objects.filter(
            service_id=OuterRef("service_id"), pk__lt=OuterRef("pk"), status__in=UNFINISHED
        )
    )


def run_due_tasks(*, limit: int = 50) -> TaskReport:
    """Run the provisioning tasks whose time has come (see the module docstring)."""
    report = TaskReport()
    due = list(
        ProvisioningTask.objects.filter(_due())
        .exclude(_earlier_unfinished())
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        task = _claim(pk)
        if task is None:
            continue  # another worker has it
        try:
            result = perform(
                get_module(task.module), task.service, task.operation, task.params or {}
            )
        except Exception as exc:
            task.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if task.attempts > len(RETRY_DELAYS):
                task.status = ProvisioningStatus.FAILED
                task.next_attempt_at = None
                report.failed += 1
                log.error("provisioning task %s (%s) failed for good: %s", pk, task, exc)
            else:
                task.status = ProvisioningStatus.PENDING
                task.next_attempt_at = clock.now() + RETRY_DELAYS[task.attempts - 1]
                report.retried += 1
                log.warning("provisioning task %s (%s) will be retried: %s", pk, task, exc)
            task.save(update_fields=["status", "next_attempt_at", "last_error"])
            continue
        task.note = result.note
        task.next_attempt_at = None
        if result.done:
            task.status = ProvisioningStatus.DONE
            task.done_at = clock.now()
            report.done += 1
        else:
            task.status = ProvisioningStatus.TODO
            report.todo += 1
        task.save(update_fields=["status", "note", "next_attempt_at", "done_at"])
    return report


def _claim(pk: int) -> ProvisioningTask | None:
    with transaction.atomic():
        rows = ProvisioningTask.objects.filter(_due(), pk=pk).select_related("service__tariff")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        task = rows.first()
        if task is None:
            return None
        task.status = ProvisioningStatus.RUNNING
        task.attempts += 1
        task.next_attempt_at = clock.now() + CLAIM_LEASE
        task.save(update_fields=["status", "attempts", "next_attempt_at"])
        return task
