"""Provisioning tasks queued in the deciding transaction and run by the worker with retries,
and the staff's views: the admin of billing runs and provisioning to-dos."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from hutor.billing.models import BillingRun
from hutor.billing.run import run_billing
from hutor.services import provisioning
from hutor.services.actions import complete_task, provision, retry_task
from hutor.services.models import ProvisioningStatus, ProvisioningTask
from hutor.services.provisioning.log import LogModule
from hutor.services.tasks import RETRY_DELAYS, run_due_tasks

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


class FlakyModule(LogModule):
    name = "flaky"
    failures = 0

    def suspend(self, service):
        if FlakyModule.failures:
            FlakyModule.failures -= 1
            raise ConnectionError("control panel unreachable")
        return super().suspend(service)


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setitem(provisioning.MODULES, "flaky", FlakyModule)
    return FlakyModule


def test_a_task_is_queued_and_run_by_the_worker(account_factory, active_service):
    with time_machine.travel(NOON, tick=False):
        service = active_service(account_factory(), paid_until=dt.date(2027, 3, 1))
        task = provision(service=service, operation="suspend")
        assert (task.status, task.attempts) == (ProvisioningStatus.PENDING, 0)
        out = io.StringIO()
        call_command("worker", "--once", stdout=out)
    assert "provisioning: 1 done" in out.getvalue()
    task.refresh_from_db()
    assert (task.status, task.attempts, task.note) == ("done", 1, "logged suspend")


def test_a_failing_task_is_retried_with_backoff_then_fails_for_staff(
    flaky, account_factory, active_service
):
    with time_machine.travel(NOON, tick=False) as traveller:
        service = active_service(account_factory(), paid_until=dt.date(2027, 3, 1))
        service.provisioning_module = "flaky"
        service.save()
        flaky.failures = 100
        task = provision(service=service, operation="suspend")
        for delay in RETRY_DELAYS:
            assert run_due_tasks().retried == 1
            task.refresh_from_db()
            assert task.status == "pending" and "unreachable" in task.last_error
            assert run_due_tasks().retried == 0  # not before its time
            traveller.shift(delay)
        assert run_due_tasks().failed == 1
        task.refresh_from_db()
        assert (task.status, task.attempts) == ("failed", len(RETRY_DELAYS) + 1)
        flaky.failures = 0
        retry_task(task=task)
        assert run_due_tasks().done == 1
    task.refresh_from_db()
    assert task.status == "done"


def test_a_service_tasks_run_in_order_and_a_failed_one_blocks_no_billing(
    flaky, account_factory, active_service
):
    with time_machine.travel(NOON, tick=False):
        service = active_service(account_factory(), paid_until=dt.date(2027, 3, 1))
        service.provisioning_module = "flaky"
        service.save()
        flaky.failures = 1
        suspend = provision(service=service, operation="suspend")
        unsuspend = provision(service=service, operation="unsuspend")
        report = run_due_tasks()
        # The suspend failed and waits for its retry; the unsuspend may not overtake it.
        assert (report.retried, report.done) == (1, 0)
        assert ProvisioningTask.objects.get(pk=unsuspend.pk).status == "pending"
        assert run_billing().status == "done"  # billing never waits for provisioning
    with time_machine.travel(NOON + dt.timedelta(minutes=2), tick=False):
        assert run_due_tasks().done == 1  # the suspend; its unsuspend on the next poll
        assert ProvisioningTask.objects.get(pk=unsuspend.pk).status == "pending"
    with time_machine.travel(NOON + dt.timedelta(minutes=3), tick=False):
        assert run_due_tasks().done == 1
    suspend.refresh_from_db()
    unsuspend.refresh_from_db()
    assert suspend.done_at and unsuspend.done_at and suspend.done_at < unsuspend.done_at


def test_a_task_left_running_by_a_dead_worker_is_taken_again(account_factory, active_service):
    from hutor.services.tasks import TASKS

    with time_machine.travel(NOON, tick=False) as traveller:
        service = active_service(account_factory(), paid_until=dt.date(2027, 3, 1))
        task = provision(service=service, operation="suspend")
        assert TASKS.claim(task.pk) is not None  # the worker dies here
        assert run_due_tasks().done == 0
        traveller.shift(dt.timedelta(minutes=11))
        assert run_due_tasks().done == 1


def test_a_manual_task_is_a_todo_until_staff_mark_it_done(account_factory, active_service):
    with time_machine.travel(NOON, tick=False):
        service = active_service(
            account_factory(), paid_until=dt.date(2027, 3, 1), provisioning_module="manual"
        )
        task = provision(service=service, operation="terminate")
        assert task.status == ProvisioningStatus.TODO and "terminate" in task.note
        assert not run_due_tasks()  # nothing for the worker
        complete_task(task=task, note="removed from the panel")
    task.refresh_from_db()
    assert task.status == "done" and task.done_at is not None


def test_staff_see_runs_and_mark_todos_done_in_the_admin(
    admin_client, account_factory, active_service
):
    with time_machine.travel(NOON, tick=False):
        service = active_service(
            account_factory(), paid_until=dt.date(2027, 2, 26), provisioning_module="manual"
        )
        run = run_billing()  # suspends it: a to-do for staff
    page = admin_client.get("/admin/billing/billingrun/").content.decode()
    assert "suspensions: suspended 1" in page
    assert admin_client.get(f"/admin/billing/billingrun/{run.pk}/change/").status_code == 200
    assert BillingRun.objects.count() == 1
    task = ProvisioningTask.objects.get(service=service)
    assert task.status == "todo"
    response = admin_client.post(
        "/admin/services/provisioningtask/",
        {"action": "mark_done", "_selected_action": [task.pk]},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
