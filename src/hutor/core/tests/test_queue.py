"""The job queue's mechanism (core.queue), driven directly: claim, lease, backoff, dead jobs,
requeue, order per group, and the claim under real concurrency on PostgreSQL.

A queue needs a job table; the outbox's (notifications.OutboxEmail) is the simplest, so these
tests run a `Queue` of their own over it, with the outbox's status values.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, transaction

from hutor.core import clock
from hutor.core.queue import RETRY_DELAYS, Finished, Queue
from hutor.notifications.actions import OUTBOX, enqueue
from hutor.notifications.models import EmailStatus, OutboxEmail
from hutor.services.tasks import TASKS

START = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)

QUEUE: Queue[OutboxEmail] = Queue(
    model=OutboxEmail,
    name="test email",
    pending=EmailStatus.PENDING,
    failed=EmailStatus.FAILED,
    lease=LEASE,
)


def job(key: str = "q1", **kwargs) -> OutboxEmail:
    return enqueue(key=key, template="test", to_email=f"{key}@example.com", **kwargs)


def sent(email: OutboxEmail) -> Finished:
    return Finished(EmailStatus.SENT, {"subject": f"sent {email.pk}"})


def refused(email: OutboxEmail) -> Finished:
    raise OSError("connection refused")


@pytest.mark.django_db
def test_a_job_is_claimed_once_and_taken_again_only_when_its_lease_lapses():
    with time_machine.travel(START, tick=False) as traveller:
        email = job()
        assert QUEUE.due() == [email.pk]
        first = QUEUE.claim(email.pk)
        assert first is not None and first.attempts == 1
        assert first.next_attempt_at == START + LEASE
        assert QUEUE.claim(email.pk) is None  # claimed: nobody else gets it
        assert QUEUE.due() == []
        traveller.shift(LEASE - dt.timedelta(seconds=1))
        assert QUEUE.claim(email.pk) is None  # the lease still holds
        traveller.shift(dt.timedelta(seconds=1))
        second = QUEUE.claim(email.pk)  # its worker died: the lease lapsed
        assert second is not None and second.attempts == 2
        # The first worker wakes up: its outcome is refused, the newer attempt's stands.
        assert QUEUE.finish(first, status=EmailStatus.SENT) is False
        assert OutboxEmail.objects.get().status == EmailStatus.PENDING
        assert QUEUE.finish(second, status=EmailStatus.SENT, subject="hello") is True
    email.refresh_from_db()
    assert (email.status, email.subject, email.next_attempt_at) == ("sent", "hello", None)


@pytest.mark.django_db
def test_failures_follow_the_backoff_schedule_then_the_job_is_dead_with_its_error():
    assert tuple(dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 720)) == RETRY_DELAYS
    with time_machine.travel(START, tick=False) as traveller:
        email = job()
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            report = QUEUE.run_due(refused)
            assert (report.retried, report.failed) == (1, 0)
            email.refresh_from_db()
            assert (email.status, email.attempts) == (EmailStatus.PENDING, attempt)
            assert email.next_attempt_at == clock.now() + delay
            assert email.last_error == "OSError: connection refused"
            traveller.shift(delay - dt.timedelta(seconds=1))
            assert not QUEUE.run_due(refused).retried  # not before its time
            traveller.shift(dt.timedelta(seconds=1))
        report = QUEUE.run_due(refused)  # the try after the last delay
        assert (report.retried, report.failed) == (0, 1)
        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.FAILED, len(RETRY_DELAYS) + 1)
        assert email.next_attempt_at is None and "connection refused" in email.last_error
        traveller.shift(dt.timedelta(days=30))
        assert QUEUE.due() == [] and QUEUE.claim(email.pk) is None  # dead stays dead


@pytest.mark.django_db
def test_a_dead_job_is_requeued_with_a_fresh_set_of_tries_and_only_a_dead_one():
    short = Queue(
        model=OutboxEmail,
        name="test email",
        pending=EmailStatus.PENDING,
        failed=EmailStatus.FAILED,
        lease=LEASE,
        delays=(dt.timedelta(minutes=1),),
    )
    with time_machine.travel(START, tick=False) as traveller:
        email = job()
        assert short.requeue(email.pk) is None  # pending: nothing to requeue
        short.run_due(refused)
        traveller.shift(dt.timedelta(minutes=1))
        assert short.run_due(refused).failed == 1  # one delay: dead on the second failure
        traveller.shift(dt.timedelta(hours=1))
        requeued = short.requeue(email.pk)
        assert requeued is not None
        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.PENDING, 0)
        assert email.next_attempt_at == clock.now() and email.last_error  # the error stays
        assert short.run_due(sent).finished == {EmailStatus.SENT: 1}
        assert short.requeue(email.pk) is None  # sent: nothing to requeue
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")


@pytest.mark.django_db
def test_in_order_per_group_a_job_waits_for_the_earlier_unfinished_one(account_factory):
    by_account = Queue(
        model=OutboxEmail,
        name="test email",
        pending=EmailStatus.PENDING,
        failed=EmailStatus.FAILED,
        lease=LEASE,
        delays=(),
        in_order_per="billing_account_id",
    )
    one, two = account_factory(email="one@example.com"), account_factory(email="two@example.com")
    OutboxEmail.objects.all().delete()  # the accounts' own activation emails
    with time_machine.travel(START, tick=False):
        first = job("a1", billing_account=one)
        second = job("a2", billing_account=one)
        other = job("b1", billing_account=two)
        assert by_account.due() == [first.pk, other.pk]
        assert by_account.claim(second.pk) is None  # even asked by its key
        claimed = by_account.claim(first.pk)
        assert claimed is not None
        assert by_account.due() == [other.pk]  # a claimed job still holds its group
        by_account.retry_or_give_up(claimed, RuntimeError("down"))  # no delays: dead at once
        assert by_account.due() == [second.pk, other.pk]  # a dead job holds nothing back


@pytest.mark.django_db(transaction=True)
def test_the_work_runs_outside_any_transaction():
    seen: list[bool] = []

    def perform(email: OutboxEmail) -> Finished:
        seen.append(connection.in_atomic_block)
        return sent(email)

    job("t1")
    job("t2")
    assert QUEUE.run_due(perform).finished == {EmailStatus.SENT: 2}
    assert seen == [False, False]


def test_the_outbox_and_the_provisioning_tasks_are_one_mechanism():
    assert (OUTBOX.running, OUTBOX.in_order_per, OUTBOX.lease) == (None, None, LEASE)
    assert (TASKS.running, TASKS.in_order_per) == ("running", "service_id")
    assert OUTBOX.delays == TASKS.delays == RETRY_DELAYS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_locked_job_is_skipped_not_waited_for():
    """While one worker's claim transaction holds the row, another worker's claim (its own
    connection) skips it at once instead of waiting or taking it too."""
    email = job("locked")
    holding, release = threading.Event(), threading.Event()
    results: list[object] = []
    errors: list[BaseException] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                OutboxEmail.objects.select_for_update().get(pk=email.pk)
                holding.set()
                release.wait(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def claimer() -> None:
        try:
            results.append(QUEUE.claim(email.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(10)
    second = threading.Thread(target=claimer)
    second.start()
    second.join(5)
    alive = second.is_alive()
    release.set()
    first.join()
    second.join()
    assert not errors
    assert not alive, "the claim waited for the lock instead of skipping the row"
    assert results == [None]
    assert QUEUE.claim(email.pk) is not None  # free again once the lock is gone


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_same_jobs_each_get_every_job_exactly_once():
    jobs = [job(f"race{i}").pk for i in range(30)]
    threads = 6
    claimed: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            for pk in jobs:  # every worker tries every job, in the same order
                email = QUEUE.claim(pk)
                if email is not None:
                    claimed[i].append(email.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    won = sorted(pk for chunk in claimed for pk in chunk)
    assert won == sorted(jobs)  # each job claimed by exactly one worker
    assert set(OutboxEmail.objects.values_list("attempts", flat=True)) == {1}
