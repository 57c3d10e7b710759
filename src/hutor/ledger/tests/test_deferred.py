"""ledger.deferred.clearing_last(): a clearing account's cached balance written by the block's
last statement (PostgreSQL), equal to its postings at the end, never from an entry undone, never
for an account with a limit; nothing deferred on SQLite."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hutor.ledger import actions, checks
from hutor.ledger.deferred import clearing_last, pending
from hutor.ledger.models import EntryKind, LedgerAccount, LedgerAccountKind
from hutor.ledger.posting import post_one
from hutor.ledger.tests.ledger_helpers import balance_of, rub

pytestmark = pytest.mark.django_db


def credit(billing_account, amount: str, key: str) -> None:
    post_one(
        lines=[
            (actions.clearing_spec("card", "RUB"), rub(f"-{amount}")),
            (actions.customer_spec(billing_account), rub(amount)),
        ],
        kind=EntryKind.TOP_UP,
        reference="P-1",
        billing_account=billing_account,
        idempotency_key=key,
    )


def refund(customer: LedgerAccount, amount: str, key: str) -> None:
    actions.post(
        lines=[
            (customer, rub(f"-{amount}")),
            (actions.clearing_account("card", "RUB"), rub(amount)),
        ],
        kind=EntryKind.REFUND,
        billing_account=customer.billing_account,
        idempotency_key=key,
    )


def clearing_balance() -> Decimal:
    return LedgerAccount.objects.get(code="clearing:card").balance


def test_the_clearing_balance_is_written_last_and_equals_its_postings(account_factory):
    payer = account_factory()
    credit(payer, "1.00", "first")  # the accounts are made on first use: not measured
    row_locks = connection.features.has_select_for_update
    with CaptureQueriesContext(connection) as captured, clearing_last():
        assert (pending() is not None) == row_locks
        credit(payer, "150.25", "k-1")
        customer = LedgerAccount.objects.get(billing_account=payer)
        refund(customer, "50.00", "k-2")
        assert balance_of(customer) == Decimal("101.25")  # written at once
        # The clearing account's row is not touched inside the block on PostgreSQL.
        assert clearing_balance() == (Decimal("-1.00") if row_locks else Decimal("-101.25"))
    assert clearing_balance() == Decimal("-101.25")
    assert balance_of(customer) == Decimal("101.25")
    sql = [q["sql"] for q in captured.captured_queries]
    if row_locks:
        last = [s for s in sql if not s.startswith(("RELEASE", "SAVEPOINT"))][-1]
        clearing = LedgerAccount.objects.get(code="clearing:card")
        assert last.startswith('UPDATE "ledger_ledgeraccount" SET balance = balance +'), last
        assert f"WHERE id = {clearing.pk} AND min_balance IS NULL" in last
        # What is locked (post_one's WITH query reads the clearing account after UNION ALL).
        locks = [
            s.split("UNION ALL")[0]
            for s in sql
            if "FOR UPDATE" in s and "ledger_ledgeraccount" in s
        ]
        assert len(locks) == 2, locks  # post_one's, post()'s
        assert all("clearing:card" not in s and f"IN ({clearing.pk})" not in s for s in locks)
    assert checks.run().ok


def test_an_entry_undone_inside_the_block_adds_nothing(account_factory):
    payer = account_factory()
    credit(payer, "1.00", "first")
    with clearing_last():
        credit(payer, "100.00", "kept")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            credit(payer, "70.00", "undone")
            raise ZeroDivisionError
        customer = LedgerAccount.objects.get(billing_account=payer)
        refund(customer, "30.00", "kept-refund")
    assert clearing_balance() == Decimal("-71.00")
    assert balance_of(customer) == Decimal("71.00")
    assert checks.run().ok


def test_a_failed_block_writes_nothing(account_factory):
    payer = account_factory()
    credit(payer, "1.00", "first")
    with pytest.raises(ZeroDivisionError), clearing_last():
        credit(payer, "100.00", "k-1")
        raise ZeroDivisionError
    assert clearing_balance() == Decimal("-1.00")
    assert checks.run().ok


@pytest.mark.postgres  # row locks: nothing is deferred on SQLite
def test_a_deferred_account_that_has_a_limit_is_refused_and_nothing_is_written(account_factory):
    payer = account_factory()
    LedgerAccount.objects.create(
        code="clearing:card",
        currency="RUB",
        kind=LedgerAccountKind.CLEARING,
        name="Clearing: card",
        min_balance=Decimal("-1000000"),
    )
    with pytest.raises(RuntimeError, match="has a limit"), clearing_last():
        credit(payer, "100.00", "k-1")
    assert clearing_balance() == Decimal(0)
    assert not LedgerAccount.objects.filter(billing_account=payer, balance__gt=0).exists()
    assert checks.run().ok


def test_a_top_up_into_a_clearing_account_moves_its_total_credited_at_once(account_factory):
    """A line that would change `credited` (a top-up's positive posting) is not deferred: the
    block's last statement writes balances only."""
    payer = account_factory()
    credit(payer, "10.00", "first")
    customer = LedgerAccount.objects.get(billing_account=payer)
    other = actions.clearing_account("other", "RUB")
    with clearing_last():
        actions.post(
            lines=[(actions.clearing_account("card", "RUB"), rub("-5.00")), (other, rub("5.00"))],
            kind=EntryKind.TOP_UP,
        )
    assert LedgerAccount.objects.get(pk=other.pk).credited == Decimal("5.00")
    assert clearing_balance() == Decimal("-15.00")
    assert balance_of(customer) == Decimal("10.00")
    assert checks.run().ok
