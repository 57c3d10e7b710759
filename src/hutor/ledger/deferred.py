"""Clearing accounts written last: the cached balance of a payment method's clearing account,
which every credit of that method moves, updated by the last statement of the transaction.

Why: on PostgreSQL a posting's ledger accounts are row-locked until commit. A customer's
balance is locked by that customer's operations only, but a method's clearing account is
shared by every payment of the method, so when a credit locks it with its other accounts the
credits of all customers run one at a time for as long as each transaction lasts (8-10 ms
measured, docs/performance.md, "Payment notifications"). Inside clearing_last() the ledger
(post(), post_one()) locks and writes the other accounts of an entry as always, but leaves the
clearing account's row alone and records the entry; on leaving the block, before its
transaction commits, one UPDATE per clearing account adds the postings of the recorded
entries to its cached balance. The row is then held only from that UPDATE to the commit.

Rules it keeps:
- Nothing about the money changes: the postings are written at once with the entry, the
  cached balance equals the sum of the postings at commit (`hutor ledger check`), in the same
  transaction. Only accounts without a limit (min_balance is null) are deferred, so no limit
  is judged on a balance that lags; the UPDATE asserts it (a limit set since is an error, and
  the transaction rolls back).
- The amount added is summed from the recorded entries' postings as they stand when the block
  ends, so an entry undone by a savepoint rolled back inside the block adds nothing.
- Lock order: billing accounts, the documents (payment, refund, invoices), the other ledger
  accounts in primary-key order, and a clearing account LAST. A transaction in this block
  locks nothing after the clearing account (the block's UPDATE is its last statement when the
  block is the transaction: open it as the outermost one), so no transaction ever waits while
  holding a clearing account's row except for another clearing account, taken in primary-key
  order: no cycle, no deadlock. Production code posts to a clearing account only inside this
  block (the credit of a notification, a refund opened and concluded); outside it post()
  still locks them with the entry's other accounts (tests, demo data).
- The deferred accounts are of DEFERRED_KINDS only; customer balances, revenue, bank and
  adjustments accounts are locked and written as before. post_many() and post_rows() (the
  settlements and the billing run) never defer.
- SQLite has one writer at a time for the whole transaction: nothing to gain, so nothing is
  deferred there (the block is a plain transaction.atomic()).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connection, transaction

from hutor.core.money import Money
from hutor.ledger.models import PAYMENT_KINDS, LedgerAccount, LedgerAccountKind, Posting

# Shared accounts without a limit that every payment of a method moves.
DEFERRED_KINDS = frozenset({LedgerAccountKind.CLEARING})


@dataclass
class Pending:
    """The entries of an open clearing_last() that moved each deferred account, by its id."""

    entries: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    def add(self, entry_id: int, account_ids: set[int]) -> None:
        for account_id in account_ids:
            self.entries[account_id].add(entry_id)


_open: ContextVar[Pending | None] = ContextVar("hutor_ledger_deferred", default=None)


def pending() -> Pending | None:
    """The open clearing_last() block of this thread, if any (None on SQLite)."""
    return _open.get()


def deferrable(kind: str, min_balance: object) -> bool:
    """Whether an account of this kind and limit is written last in a clearing_last() block."""
    return kind in DEFERRED_KINDS and min_balance is None


_Account = TypeVar("_Account", bound=Hashable)


def written_last(entry_kind: str, lines: Sequence[tuple[_Account, Money]]) -> set[_Account]:
    """The accounts of an entry's lines (ledger accounts or their specs: anything with `kind`
    and `min_balance`) that an open clearing_last() block writes last: deferrable ones the
    entry does not credit (a payment's positive posting moves `credited`, which the block's
    last statement does not write). Empty outside a block."""
    if pending() is None:
        return set()
    credited = {
        account for account, money in lines if entry_kind in PAYMENT_KINDS and money.amount > 0
    }
    return {
        account
        for account, _money in lines
        if account not in credited and deferrable(account.kind, account.min_balance)  # type: ignore[attr-defined]
    }


@contextmanager
def clearing_last(*, durable: bool = False) -> Iterator[None]:
    """A transaction (transaction.atomic()) whose postings to clearing accounts update those
    accounts' cached balances in its last statement, just before it commits (see the module's
    docstring for why and for the lock order it keeps). Open it as the outermost block: nested
    in a longer transaction it still writes them at its own end, correctly, but the row is then
    held for the rest of that transaction. `durable` as transaction.atomic's."""
    recorded = Pending() if connection.features.has_select_for_update else None
    token = _open.set(recorded)
    try:
        with transaction.atomic(durable=durable):
            yield
            if recorded is not None and recorded.entries:
                _write(recorded)
    finally:
        _open.reset(token)


def _write(recorded: Pending) -> None:
    """Add the recorded entries' postings to each deferred account's cached balance, one
    account at a time in primary-key order (the lock order among clearing accounts)."""
    quote = connection.ops.quote_name
    accounts, postings = quote(LedgerAccount._meta.db_table), quote(Posting._meta.db_table)
    with connection.cursor() as cursor:
        for account_id in sorted(recorded.entries):
            cursor.execute(
                f"UPDATE {accounts} SET balance = balance + COALESCE(("  # noqa: S608
                f"SELECT SUM(amount) FROM {postings} WHERE account_id = %s "
                "AND entry_id = ANY(%s::bigint[])), 0) WHERE id = %s AND min_balance IS NULL",
                [account_id, sorted(recorded.entries[account_id]), account_id],
            )
            if cursor.rowcount != 1:
                raise RuntimeError(
                    f"ledger account {account_id}: deferred, but it has a limit (or is gone)"
                )
