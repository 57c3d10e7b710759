"""accounts.actions.lock(): the billing account's row lock, sent by hand on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from hutor.accounts.actions import lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_lock_is_refused_outside_a_transaction_as_the_orm_refuses_it(account_factory):
    account = account_factory()
    with pytest.raises(TransactionManagementError):
        lock(account)


def test_a_second_transaction_waits_for_the_lock(account_factory):
    """While one transaction holds the lock, another's lock() waits until it commits."""
    account = account_factory()
    order: list[str] = []
    held = threading.Event()

    def other() -> None:
        held.wait(10)
        with transaction.atomic():
            lock(account)
            order.append("other locked")
        connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    with transaction.atomic():
        lock(account)
        held.set()
        thread.join(0.5)  # it is waiting for our lock, so it cannot have finished
        order.append("first commits")
    thread.join(10)
    assert order == ["first commits", "other locked"]
