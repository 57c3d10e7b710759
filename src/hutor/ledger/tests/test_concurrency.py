"""post() under real concurrency: threads, each on its own PostgreSQL connection."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction

from hutor.core.money import Money
from hutor.ledger import actions, checks
from hutor.ledger.deferred import clearing_last
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.ledger.tests.ledger_helpers import balance_of, top_up

THREADS = 8

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(worker: Callable[[int], None]) -> None:
    """Start THREADS workers together; re-raise the first unexpected error of any of them."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            worker(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a worker hung"
    if errors:
        raise errors[0]


def test_a_payment_notified_by_many_threads_at_once_is_credited_once(account_factory):
    customer = actions.customer_account(account_factory())
    clearing = actions.clearing_account("card", "RUB")
    keys = {f"payment:{n}": Decimal(n) for n in range(1, 51)}  # payment n credits n roubles
    seen: list[tuple[str, int, bool]] = []  # (key, entry id, created), from every thread
    lock = threading.Lock()

    def worker(i: int) -> None:
        order = list(keys)
        random.Random(i).shuffle(order)
        for key in order:
            money = Money(keys[key], "RUB")
            with transaction.atomic():
                entry, created = actions.post(
                    lines=[(clearing, -money), (customer, money)],
                    kind=EntryKind.TOP_UP,
                    # Without a billing account post() takes no customer lock first, and
                    # only its own re-check under the account locks stops a double credit.
                    billing_account=customer.billing_account if i % 2 else None,
                    idempotency_key=key,
                )
            with lock:
                seen.append((key, entry.pk, created))

    run_in_threads(worker)

    assert len(seen) == THREADS * len(keys)
    assert JournalEntry.objects.count() == len(keys)
    entry_of = dict(JournalEntry.objects.values_list("idempotency_key", "pk"))
    assert set(entry_of) == set(keys)
    assert all(entry_id == entry_of[key] for key, entry_id, _ in seen), "a thread saw another"
    assert Counter(key for key, _, created in seen if created) == Counter(list(keys))  # once each
    total = sum(keys.values())
    assert total == Decimal(1275)
    assert balance_of(customer) == total
    assert balance_of(clearing) == -total
    report = checks.run()
    assert report.ok, report.violations


def test_concurrent_spending_never_overdraws_and_never_deadlocks(account_factory):
    customer = actions.customer_account(account_factory())
    revenue = actions.revenue_account("vps", "RUB")
    top_up(customer, "100.00")
    price = Money("10.00", "RUB")
    attempts = 20  # worth 200.00 against a balance of 100.00
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        for attempt in range(i, attempts, THREADS):  # 3 or 2 attempts per thread, 20 in all
            # Half the threads list the postings the other way round: post() must lock the
            # accounts in one fixed order whatever the order of the lines.
            lines = [(customer, -price), (revenue, price)]
            if attempt % 2:
                lines.reverse()
            try:
                with transaction.atomic():
                    actions.post(
                        lines=lines,
                        kind=EntryKind.SETTLEMENT,
                        billing_account=customer.billing_account if attempt % 3 else None,
                        reference=f"INV-{attempt}",
                    )
                outcome = "paid"
            except InsufficientFunds:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)

    run_in_threads(worker)  # a deadlock or a serialization failure would surface here

    assert Counter(outcomes) == {"paid": 10, "refused": 10}
    assert balance_of(customer) == 0
    assert balance_of(revenue) == Decimal("100.00")
    assert JournalEntry.objects.filter(kind=EntryKind.SETTLEMENT).count() == 10
    report = checks.run()
    assert report.ok, report.violations


def test_credits_and_refunds_writing_the_clearing_account_last_never_deadlock(account_factory):
    """ledger.deferred's lock order under load: credits and failed refunds' reversals (clearing
    account written last, each followed by a settlement to the shared revenue account, as
    credit_payment and a refund's conclusion do), refunds posted outside the block (clearing
    locked with the customer, nothing after), all at once on one clearing account."""
    customers = [actions.customer_account(account_factory()) for _ in range(THREADS)]
    clearing = actions.clearing_account("card", "RUB")
    revenue = actions.revenue_account("vps", "RUB")
    for customer in customers:
        top_up(customer, "100.00")
    rounds = 15
    one = Money("1.00", "RUB")

    def worker(i: int) -> None:
        customer = customers[i]
        for n in range(rounds):
            kind = (i + n) % 3
            if kind == 0:  # a credit, then an invoice paid from it
                with clearing_last():
                    actions.post(
                        lines=[(clearing, -one - one), (customer, one + one)],
                        kind=EntryKind.TOP_UP,
                        billing_account=customer.billing_account,
                        idempotency_key=f"credit:{i}:{n}",
                    )
                    actions.post(
                        lines=[(customer, -one), (revenue, one)],
                        kind=EntryKind.SETTLEMENT,
                        billing_account=customer.billing_account,
                    )
            elif kind == 1:  # a refund's reversal, then an invoice paid again
                with clearing_last():
                    actions.post(
                        lines=[(clearing, -one), (customer, one)],
                        kind=EntryKind.REVERSAL,
                        billing_account=customer.billing_account,
                    )
                    actions.post(
                        lines=[(customer, -one), (revenue, one)],
                        kind=EntryKind.SETTLEMENT,
                        billing_account=customer.billing_account,
                    )
            else:  # a refund posted outside the block
                with transaction.atomic():
                    actions.post(
                        lines=[(customer, -one), (clearing, one)],
                        kind=EntryKind.REFUND,
                        billing_account=customer.billing_account,
                    )

    run_in_threads(worker)  # a deadlock would surface here

    counts = Counter((i + n) % 3 for i in range(THREADS) for n in range(rounds))
    moved = 2 * counts[0] + counts[1] - counts[2]
    assert balance_of(clearing) == Decimal(-100 * THREADS - moved)
    assert balance_of(revenue) == Decimal(counts[0] + counts[1])
    report = checks.run()
    assert report.ok, report.violations
