"""Dead letters: staff send a failed email or provisioning task back to the worker, or mark a
provisioning task done by hand (a to-do of the manual module, or a failed one staff did on the
server themselves).

The queue's own rule (core.queue.Queue.requeue: only a dead job, a fresh set of tries) is
applied by the app that owns the table (notifications.actions.retry, services.actions.
retry_task); the desk adds the reason and the audit entry, in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import AlreadyDone
from hutor.notifications import actions as notifications
from hutor.notifications.exceptions import NotificationError
from hutor.notifications.models import OutboxEmail
from hutor.services import actions as service_actions
from hutor.services.exceptions import ServiceError
from hutor.services.models import ProvisioningTask

if TYPE_CHECKING:
    from hutor.accounts.models import User

# How much of the last error the audit entry keeps (the job keeps all of it until it runs).
ERROR_IN_AUDIT = 300


def retry_email(*, staff: User, email: OutboxEmail, reason: str) -> OutboxEmail:
    """Send an email that failed for good to the worker again (the same message)."""
    require_reason(reason)
    with transaction.atomic():
        try:
            retried = notifications.retry(email=email)
        except NotificationError as exc:
            raise AlreadyDone(str(exc)) from exc  # retried by someone else, or sent meanwhile
        record(
            staff=staff,
            action="queue.retry",
            reason=reason,
            billing_account=email.billing_account,
            object_type="email",
            object_id=email.pk,
            changes={
                "status": {"from": email.status, "to": retried.status},
                "attempts": {"from": email.attempts, "to": retried.attempts},
                "template": email.template,
                "to": email.to_email,
                "last_error": email.last_error[:ERROR_IN_AUDIT],
            },
        )
    return retried


def retry_task(*, staff: User, task: ProvisioningTask, reason: str) -> ProvisioningTask:
    """Send a provisioning task that failed for good to the worker again (the module is
    called again: modules are idempotent)."""
    require_reason(reason)
    with transaction.atomic():
        try:
            retried = service_actions.retry_task(task=task)
        except ServiceError as exc:
            raise AlreadyDone(str(exc)) from exc  # retried by someone else, or done meanwhile
        record(
            staff=staff,
            action="queue.retry",
            reason=reason,
            billing_account=task.service.billing_account,
            object_type="provisioning_task",
            object_id=task.pk,
            changes={
                "status": {"from": task.status, "to": retried.status},
                "attempts": {"from": task.attempts, "to": retried.attempts},
                "operation": task.operation,
                "service": task.service_id,
                "last_error": task.last_error[:ERROR_IN_AUDIT],
            },
        )
    return retried


def complete_task(*, staff: User, task: ProvisioningTask, reason: str) -> ProvisioningTask:
    """Mark a to-do or a failed provisioning task done: staff did the work on the server by
    hand (the reason says what). Nothing is called; later tasks of the service go on."""
    require_reason(reason)
    with transaction.atomic():
        try:
            done = service_actions.complete_task(task=task, note=reason)
        except ServiceError as exc:
            raise AlreadyDone(str(exc)) from exc  # done or retried by someone else meanwhile
        record(
            staff=staff,
            action="queue.complete",
            reason=reason,
            billing_account=task.service.billing_account,
            object_type="provisioning_task",
            object_id=task.pk,
            changes={
                "status": {"from": task.status, "to": done.status},
                "operation": task.operation,
                "service": task.service_id,
                "last_error": task.last_error[:ERROR_IN_AUDIT],
            },
        )
    return done
