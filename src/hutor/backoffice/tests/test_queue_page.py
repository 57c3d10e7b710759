"""Dead letters at the desk: the emails and provisioning tasks the worker gave up on are listed
with their error, attempts and billing account, and a role that may act sends them back to the
worker, with a reason kept in the audit log."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from hutor.backoffice.models import AuditEntry, Role
from hutor.core.queue import RETRY_DELAYS
from hutor.notifications.actions import deliver_due
from hutor.notifications.models import OutboxEmail
from hutor.services.models import ProvisioningTask
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db

PAGE = reverse("desk:queue")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def retry_url(kind: str, pk: int) -> str:
    return reverse("desk:queue_retry", args=[kind, pk])


def test_failed_emails_and_tasks_are_listed_with_error_attempts_and_account(
    world, fail_for_good, desk_client
):
    email, task, _panel = fail_for_good()
    number = world.account.number
    client, _user = desk_client(Role.SUPPORT)
    page = client.get(PAGE).content.decode()
    assert "Неотправленные письма" in page and "Невыполненные задания модулей управления" in page
    assert "OSError: 550 mailbox unavailable" in page
    assert "ConnectionError: control panel unreachable" in page
    assert f'href="{reverse("desk:account", args=[number])}"' in page
    assert f'href="{reverse("desk:service", args=[task.service_id])}"' in page
    assert f'<td class="num">{len(RETRY_DELAYS) + 1}</td>' in page  # attempts
    assert email.to_email in page
    # Support sees the failures but may not send them back: no retry buttons.
    assert retry_url("email", email.pk) not in page and retry_url("task", task.pk) not in page
    # The nav links the page on every desk page; the page speaks English too.
    assert f'href="{PAGE}"' in client.get(reverse("desk:home")).content.decode()
    english = client.get(PAGE, **EN).content.decode()
    assert "Failed emails and provisioning tasks" in english and "Retry" not in english

    sales, _ = desk_client(Role.SALES)
    page = sales.get(PAGE).content.decode()
    assert retry_url("email", email.pk) in page and retry_url("task", task.pk) in page


def test_sales_retries_a_failed_email_the_worker_sends_it_and_the_audit_says_why(
    world, fail_for_good, desk_client
):
    email, _task, _panel = fail_for_good()
    client, staff = desk_client(Role.SALES)
    form = client.get(retry_url("email", email.pk), **EN).content.decode()
    assert "Retry a failed email" in form and email.to_email in form

    response = client.post(retry_url("email", email.pk), {"reason": "Mail server fixed"})
    assert response.status_code == 302 and response["Location"] == PAGE
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 0)
    entry = AuditEntry.objects.get(action="queue.retry")
    assert (entry.staff, entry.reason, entry.billing_account) == (
        staff,
        "Mail server fixed",
        world.account,
    )
    assert (entry.object_type, entry.object_id) == ("email", str(email.pk))
    assert entry.changes["status"] == {"from": "failed", "to": "pending"}
    assert entry.changes["attempts"] == {"from": len(RETRY_DELAYS) + 1, "to": 0}
    assert "550 mailbox unavailable" in entry.changes["last_error"]
    assert email.pk not in [e.pk for e in client.get(PAGE).context["emails"]]

    # A second click (or a colleague) finds it queued already: said so, nothing recorded.
    again = client.post(retry_url("email", email.pk), {"reason": "Mail server fixed"}, **EN)
    assert again.status_code == 302
    assert AuditEntry.objects.filter(action="queue.retry").count() == 1
    assert "can be retried" in client.get(PAGE, **EN).content.decode()

    assert deliver_due().sent >= 1  # the same message, sent now that the server takes it
    email.refresh_from_db()
    assert (email.status, email.last_error, email.next_attempt_at) == ("sent", "", None)
    assert email.message_id in [m.extra_headers["Message-ID"] for m in mail.outbox]


def test_sales_retries_a_failed_provisioning_task_and_the_worker_runs_it(
    world, fail_for_good, desk_client
):
    _email, task, panel = fail_for_good()
    client, staff = desk_client(Role.SALES)
    form = client.get(retry_url("task", task.pk), **EN).content.decode()
    assert "Retry a failed provisioning task" in form and "may undo it" not in form

    panel.working = True
    response = client.post(retry_url("task", task.pk), {"reason": "Panel is back"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.attempts) == ("pending", 0)
    entry = AuditEntry.objects.get(action="queue.retry")
    assert (entry.staff, entry.billing_account, entry.object_type) == (
        staff,
        world.account,
        "provisioning_task",
    )
    assert entry.changes["operation"] == "suspend"
    assert run_due_tasks().done == 1
    task.refresh_from_db()
    assert (task.status, task.note) == ("done", "logged suspend")


def test_a_later_task_of_the_service_is_pointed_out_before_a_retry(
    world, fail_for_good, desk_client
):
    from hutor.services.actions import provision

    _email, task, panel = fail_for_good()
    panel.working = True
    provision(service=world.hosting, operation="unsuspend")
    client, _ = desk_client(Role.SALES)
    form = client.get(retry_url("task", task.pk), **EN).content.decode()
    assert "may undo it" in form


def test_a_role_without_the_permission_is_refused_and_nothing_moves(
    world, fail_for_good, desk_client
):
    email, task, _panel = fail_for_good()
    client, _ = desk_client(Role.SUPPORT)
    for url in (retry_url("email", email.pk), retry_url("task", task.pk)):
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "Let me"}).status_code == 403
    assert OutboxEmail.objects.get(pk=email.pk).status == "failed"
    assert ProvisioningTask.objects.get(pk=task.pk).status == "failed"
    assert not AuditEntry.objects.filter(action="queue.retry").exists()


def test_a_retry_without_a_reason_or_of_an_unknown_kind_changes_nothing(
    world, fail_for_good, desk_client
):
    email, _task, _panel = fail_for_good()
    client, _ = desk_client(Role.ADMIN)
    response = client.post(retry_url("email", email.pk), {"reason": "  "})
    assert response.status_code == 200  # the form again, with the reason asked for
    assert OutboxEmail.objects.get(pk=email.pk).status == "failed"
    assert client.get(retry_url("payment", email.pk)).status_code == 404
    assert client.get(retry_url("email", 999999)).status_code == 404
    assert not AuditEntry.objects.filter(action="queue.retry").exists()


def done_url(pk: int) -> str:
    return reverse("desk:queue_complete", args=[pk])


def test_sales_marks_a_failed_task_done_by_hand_nothing_is_called_and_the_audit_says_why(
    world, fail_for_good, desk_client
):
    _email, task, _panel = fail_for_good()
    support, _ = desk_client(Role.SUPPORT)
    assert done_url(task.pk) not in support.get(PAGE).content.decode()
    assert support.post(done_url(task.pk), {"reason": "Did it"}).status_code == 403

    client, staff = desk_client(Role.SALES)
    page = client.get(PAGE, **EN).content.decode()
    assert done_url(task.pk) in page and "Mark done" in page
    form = client.get(done_url(task.pk), **EN).content.decode()
    assert "Nothing is sent to the server" in form
    assert client.post(done_url(task.pk), {"reason": " "}).status_code == 200  # reason asked
    assert ProvisioningTask.objects.get(pk=task.pk).status == "failed"

    reason = "Suspended in the panel by hand, ticket 1042"
    response = client.post(done_url(task.pk), {"reason": reason})
    assert response.status_code == 302 and response["Location"] == PAGE
    task.refresh_from_db()
    assert task.status == "done" and task.done_at is not None and reason in task.note
    entry = AuditEntry.objects.get(action="queue.complete")
    assert (entry.staff, entry.reason, entry.billing_account) == (staff, reason, world.account)
    assert entry.changes["status"] == {"from": "failed", "to": "done"}
    assert "control panel unreachable" in entry.changes["last_error"]
    assert run_due_tasks().done == 0  # the module is not called: the work was done by hand
    # A second click finds it done: said so, nothing recorded twice.
    client.post(done_url(task.pk), {"reason": reason})
    assert AuditEntry.objects.filter(action="queue.complete").count() == 1
    assert task.pk not in [t.pk for t in client.get(PAGE).context["tasks"]]
    # The service page's task history offers neither button for a done task.
    service_page = client.get(reverse("desk:service", args=[task.service_id])).content.decode()
    assert done_url(task.pk) not in service_page


def test_the_manual_modules_to_dos_are_listed_and_marked_done_from_the_desk(world, desk_client):
    from hutor.services.actions import provision

    hosting = world.hosting  # the catalog's hosting has no server group: the manual module
    assert hosting.provisioning_module == "manual"
    todo = provision(service=hosting, operation="suspend")
    assert todo.status == "todo"
    client, _ = desk_client(Role.SALES)
    page = client.get(PAGE).content.decode()
    assert "Задания для сотрудников" in page and done_url(todo.pk) in page
    service_page = client.get(reverse("desk:service", args=[hosting.pk])).content.decode()
    assert done_url(todo.pk) in service_page
    client.post(done_url(todo.pk), {"reason": "Suspended by hand"})
    todo.refresh_from_db()
    assert todo.status == "done"
    assert todo.pk not in [t.pk for t in client.get(PAGE).context["todos"]]
