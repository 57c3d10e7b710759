"""Dead letters: the emails and provisioning tasks the worker gave up on, and their retry; the
provisioning to-dos waiting for staff, and marking a task done by hand."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import roles
from hutor.backoffice.actions import queue as actions
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.models import Role
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.domains import sync as domain_sync
from hutor.notifications.models import EmailStatus, OutboxEmail
from hutor.services import reconcile
from hutor.services.models import ProvisioningStatus, ProvisioningTask

# Rows shown per kind, newest first; more than this is a broken mail server or control panel,
# and retrying the newest ones shows whether the cause is fixed.
SHOWN = 100


@roles.require_role(Role.SUPPORT)
def failed_work(request: HttpRequest) -> HttpResponse:
    """Failed emails and failed provisioning tasks, with their error and a retry; and the drift
    the last reconciliation found between billing and the servers."""
    emails = OutboxEmail.objects.filter(status=EmailStatus.FAILED).select_related("billing_account")
    tasks = ProvisioningTask.objects.filter(status=ProvisioningStatus.FAILED).select_related(
        "service__billing_account"
    )
    todos = ProvisioningTask.objects.filter(status=ProvisioningStatus.TODO).select_related(
        "service__billing_account", "service__tariff", "service__service_type"
    )
    return render_desk(
        request,
        "backoffice/queue.html",
        {
            "emails": emails.order_by("-created_at", "-id")[:SHOWN],
            "email_count": emails.count(),
            "tasks": tasks.order_by("-created_at", "-id")[:SHOWN],
            "task_count": tasks.count(),
            "todos": todos.order_by("created_at", "id")[:SHOWN],
            "todo_count": todos.count(),
            "drift": [
                {"report": r, "at": reconcile.checked_at(r), "findings": r.findings[:SHOWN]}
                for r in reconcile.latest()
            ],
            "domain_drift": domain_sync.drifting()[:SHOWN],
        },
    )


@roles.require_action("queue.retry")
def retry(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The reason form, then the audited retry of one failed email or task."""
    done_url = reverse("desk:queue")
    post = request.POST if request.method == "POST" else None
    page: dict[str, Any]
    if kind == "email":
        email = get_object_or_404(OutboxEmail.objects.select_related("billing_account"), pk=pk)

        def perform_email(data: dict[str, Any]) -> str:
            actions.retry_email(staff=staff_of(request), email=email, reason=data["reason"])
            return _("The email to %(to)s is queued again.") % {"to": email.to_email}

        perform = perform_email
        page = {
            "title": _("Retry a failed email"),
            "account": email.billing_account,
            "subject": f"{email.subject or email.template} → {email.to_email}",
            "intro": _(
                "The email goes back to the worker with a fresh set of tries. It is the same "
                "message, so it is sent once it gets through."
            ),
        }
    elif kind == "task":
        task = get_object_or_404(
            ProvisioningTask.objects.select_related("service__billing_account"), pk=pk
        )

        def perform_task(data: dict[str, Any]) -> str:
            actions.retry_task(staff=staff_of(request), task=task, reason=data["reason"])
            return _("The task «%(task)s» is queued again.") % {"task": task}

        perform = perform_task
        intro = _(
            "The task goes back to the worker with a fresh set of tries: the provisioning "
            "module is called again."
        )
        later = ProvisioningTask.objects.filter(service_id=task.service_id, pk__gt=task.pk)
        if later.exclude(status=ProvisioningStatus.FAILED).exists():
            intro += " " + _(
                "A later task of this service has been queued or run since: retrying this "
                "one may undo it. If the work was done by hand, mark the task done instead."
            )
        page = {
            "title": _("Retry a failed provisioning task"),
            "account": task.service.billing_account,
            "subject": str(task),
            "intro": intro,
        }
    else:
        raise Http404
    return action_page(
        request,
        form=ReasonForm(post),
        perform=perform,
        done_url=done_url,
        button=_("Retry"),
        **page,
    )


@roles.require_action("queue.complete")
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    """The reason form, then the audited "done by hand" of one to-do or failed task."""
    task = get_object_or_404(
        ProvisioningTask.objects.select_related("service__billing_account"), pk=pk
    )

    def perform(data: dict[str, Any]) -> str:
        actions.complete_task(staff=staff_of(request), task=task, reason=data["reason"])
        return _("The task «%(task)s» is marked done.") % {"task": task}

    return action_page(
        request,
        form=ReasonForm(request.POST if request.method == "POST" else None),
        perform=perform,
        done_url=reverse("desk:queue"),
        title=_("Mark a provisioning task done by hand"),
        account=task.service.billing_account,
        subject=str(task),
        intro=_(
            "Nothing is sent to the server: the task is recorded as done because the work was "
            "done there by hand. Say in the reason what was done, for whoever looks next."
        ),
        button=_("Mark done"),
    )
