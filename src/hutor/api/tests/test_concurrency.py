"""20 identical POSTs with one Idempotency-Key, sent at once on PostgreSQL from 20 threads
(each its own connection), perform one action and all get its answer."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from hutor.backoffice.models import AuditEntry, Role
from hutor.ledger.models import JournalEntry

THREADS = 20

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_identical_posts_perform_one_action(world, staff_api):
    api = staff_api(Role.ACCOUNTANT)
    path = f"/api/v1/accounts/{world.account.number}/balance/adjustments"
    body = json.dumps({"amount": {"amount": "25.00"}, "direction": "credit", "reason": "Once"})
    entries = JournalEntry.objects.count()
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            client = Client()
            barrier.wait()
            answer = client.post(
                path,
                body,
                content_type="application/json",
                headers={**api.headers(), "Idempotency-Key": "together"},
            )
            with lock:
                answers.append((answer.status_code, answer.content.decode()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]
    assert len(answers) == THREADS
    assert {status for status, _body in answers} == {201}, answers
    assert len({text for _status, text in answers}) == 1  # the first answer, replayed
    assert JournalEntry.objects.count() == entries + 1
    assert AuditEntry.objects.filter(action="balance.adjust").count() == 1
