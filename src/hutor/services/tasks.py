"""Running queued provisioning tasks: `hutor worker` calls `run_due_tasks()`.

The tasks are a job queue (core.queue): a task is claimed (status running, its next attempt
moved past a lease, under SKIP LOCKED on PostgreSQL so several workers share the queue), the
module is called outside any transaction (a slow control panel never holds a database lock),
and the outcome is saved: done, a to-do for staff, or another try after a backoff; after the
last try the task is marked failed for staff to see and retry. A worker that dies mid-call
leaves its task running until the lease lapses, then another worker takes it again (modules
are idempotent).

Tasks of one service run in the order they were queued: a task waits while an earlier task of
its service is still queued or running, so an unsuspend never overtakes the suspend before it.
A failed or to-do task does not hold the later ones back; nothing here ever blocks billing.

A service whose tariff names a server group is placed on a server when its create task runs
(services.placement); when no server has room the task needs attention at once (the failed
status, with the reason), since no retry helps before staff add room.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.events import EventKind, publish_many
from hutor.core.queue import Finished, Queue
from hutor.services import emails, placement, refusals
from hutor.services import events as service_events
from hutor.services.models import (
    ProvisioningOperation,
    ProvisioningStatus,
    ProvisioningTask,
    Service,
)
from hutor.services.placement import NeedsAttention
from hutor.services.provisioning import ProvisioningRefused, get_module, perform
from hutor.services.provisioning.registrar import Refusal, RegistrarModule

TASKS: Queue[ProvisioningTask] = Queue(
    model=ProvisioningTask,
    name="provisioning task",
    pending=ProvisioningStatus.PENDING,
    running=ProvisioningStatus.RUNNING,
    failed=ProvisioningStatus.FAILED,
    lease=dt.timedelta(minutes=10),
    in_order_per="service_id",
    related=("service__tariff", "service__server"),
    on_dead=lambda task: _announce_failure(task),
)
RETRY_DELAYS = TASKS.delays
CLAIM_LEASE = TASKS.lease


@dataclass
class TaskReport:
    done: int = 0
    todo: int = 0
    retried: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.done or self.todo or self.retried or self.failed)


def run_due_tasks(*, limit: int = 50) -> TaskReport:
    """Run the provisioning tasks whose time has come (see the module docstring)."""
    report = TASKS.run_due(_run, limit=limit)
    return TaskReport(
        done=report.finished[ProvisioningStatus.DONE],
        todo=report.finished[ProvisioningStatus.TODO],
        retried=report.retried,
        failed=report.failed + report.finished[ProvisioningStatus.FAILED],
    )


def _announce_failure(task: ProvisioningTask) -> None:
    """provisioning.failed, in the transaction that marks the task failed (core.queue on_dead):
    the task needs staff (a refusal, no room on the servers, or every retry spent)."""
    service = Service.objects.select_related("billing_account", "service_type", "tariff").get(
        pk=task.service_id
    )
    publish_many(
        [
            service_events.draft(
                EventKind.PROVISIONING_FAILED,
                service,
                task_id=task.pk,
                operation=task.operation,
                module=task.module,
                attempts=task.attempts,
            )
        ]
    )


def _run(task: ProvisioningTask) -> Finished:
    service = task.service
    module = get_module(task.module)
    try:
        if service.server_id is None and service.tariff.server_group_id is not None:
            if task.operation != ProvisioningOperation.CREATE:
                raise NeedsAttention(_("The service is on no server: its creation did not run."))
            service = placement.place(service=service)
    except NeedsAttention as exc:
        # No retry helps until staff act: given up at once, its reason shown in the desk.
        return Finished(ProvisioningStatus.FAILED, {"last_error": str(exc)})
    if task.operation == ProvisioningOperation.CREATE and module.wants_password:
        # Kept before the call, so a retried create sets the same password.
        placement.ensure_password(service=service)
    if module.wants_private_key and not service.access.get("csr_pem"):
        # A certificate's key, made by Hutor unless the customer gave a CSR of their own.
        placement.ensure_private_key(service=service)
    try:
        result = perform(module, service, task.operation, task.params or {})
    except ProvisioningRefused as exc:
        if (
            task.operation == ProvisioningOperation.CREATE
            and isinstance(module, RegistrarModule)
            and exc.refusal in Refusal.REFUNDED
        ):
            # The registry refused the name itself (taken, not allowed): nobody can register
            # it; the customer gets the price back and is told why (services.refusals).
            refusals.refuse(service_id=service.pk, code=exc.refusal, detail=str(exc))
            note = _("Refused by the registry, the price refunded: %(reason)s") % {
                "reason": str(exc)[:1900]
            }
            return Finished(ProvisioningStatus.DONE, {"note": note, "done_at": clock.now()})
        # The server said no (a name taken, a quota): no retry helps until staff act.
        return Finished(ProvisioningStatus.FAILED, {"last_error": str(exc)[:2000]})
    if not result.done:
        return Finished(ProvisioningStatus.TODO, {"note": result.note})
    placement.record_result(
        service=service,
        remote_id=result.remote_id,
        password=result.password,
        access=result.access,
    )
    if task.operation == ProvisioningOperation.CREATE:
        emails.queue_ready(service)  # once per service, whatever number of creates it took
    return Finished(ProvisioningStatus.DONE, {"note": result.note, "done_at": clock.now()})
