"""Random sequences of ledger operations against a model kept in plain Python.

After every operation: the database passes `checks.run()`, every cached balance equals the
model's, a refused operation changed nothing and a replayed idempotency key returned the first
entry and moved nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import event, given, settings
from hypothesis import strategies as st

from hutor.core.money import Money
from hutor.ledger import actions, checks
from hutor.ledger.actions import Line
from hutor.ledger.exceptions import InsufficientFunds, InvalidPosting, LedgerError, UnbalancedEntry
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount
from hutor.ledger.tests.ledger_helpers import ledger_state

CUSTOMERS = 3
KEYS = ("payment:1", "payment:2", "invoice:1")  # a small pool, so replays are frequent

# The smallest amount the operations move: a kopeck, on both databases.
UNIT = Decimal("0.01")

amounts = st.integers(min_value=1, max_value=40_000).map(lambda n: n * UNIT)
# Spending draws smaller amounts than top-ups, so that it often succeeds; Overdraft always fails.
spendings = st.integers(min_value=1, max_value=8_000).map(lambda n: n * UNIT)
customers = st.integers(min_value=0, max_value=CUSTOMERS - 1)
keys = st.one_of(st.none(), st.sampled_from(KEYS))


# --- Operations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopUp:
    """A payment reaches a balance: clearing -> customer."""

    customer: int
    amount: Decimal
    key: str | None


@dataclass(frozen=True)
class Settle:
    """A balance pays an invoice: customer -> revenue (refused if the balance is short)."""

    customer: int
    amount: Decimal
    key: str | None


@dataclass(frozen=True)
class Transfer:
    """Staff move money between two balances (possibly the same one: a net zero)."""

    source: int
    target: int
    amount: Decimal
    key: str | None


@dataclass(frozen=True)
class Goodwill:
    """A credit from the adjustments account."""

    customer: int
    amount: Decimal
    key: str | None


@dataclass(frozen=True)
class Overdraft:
    """Spend more than the balance by `excess`: always refused, unless the key is a replay."""

    customer: int
    excess: Decimal
    key: str | None


@dataclass(frozen=True)
class Unbalanced:
    """A top-up whose postings miss zero by `skew`: always refused, replay or not."""

    customer: int
    amount: Decimal
    skew: Decimal
    key: str | None


@dataclass(frozen=True)
class Unrounded:
    """A top-up of a fraction of a kopeck: always refused."""

    customer: int
    amount: Decimal
    key: str | None


Operation = TopUp | Settle | Transfer | Goodwill | Overdraft | Unbalanced | Unrounded

top_ups = st.builds(TopUp, customers, amounts, keys)
operations = st.one_of(
    top_ups,
    top_ups,  # twice: money must come in before much can go out
    st.builds(Settle, customers, spendings, keys),
    st.builds(Transfer, customers, customers, spendings, keys),
    st.builds(Goodwill, customers, spendings, keys),
    st.builds(Overdraft, customers, spendings, keys),
    st.builds(Unbalanced, customers, amounts, spendings, keys),
    st.builds(Unrounded, customers, amounts, keys),
)


# --- The ledger under test and its model --------------------------------------------------------


@dataclass
class Accounts:
    customers: list[LedgerAccount]
    clearing: LedgerAccount
    revenue: LedgerAccount
    adjustments: LedgerAccount

    @property
    def all(self) -> list[LedgerAccount]:
        return [*self.customers, self.clearing, self.revenue, self.adjustments]


@dataclass
class Model:
    """What the ledger should hold, computed without a database."""

    balances: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    entry_by_key: dict[str, int] = field(default_factory=dict)
    entries: int = 0
    postings: int = 0


class Rollback(Exception):
    """Raised at the end of each example to undo it."""


def lines_for(op: Operation, accounts: Accounts, model: Model) -> tuple[str, list[Line]]:
    def rub(amount: Decimal) -> Money:
        return Money(amount, "RUB")

    match op:
        case TopUp(customer=c, amount=a):
            return EntryKind.TOP_UP, [(accounts.clearing, rub(-a)), (accounts.customers[c], rub(a))]
        case Settle(customer=c, amount=a):
            return EntryKind.SETTLEMENT, [
                (accounts.customers[c], rub(-a)),
                (accounts.revenue, rub(a)),
            ]
        case Transfer(source=s, target=t, amount=a):
            return EntryKind.ADJUSTMENT, [
                (accounts.customers[s], rub(-a)),
                (accounts.customers[t], rub(a)),
            ]
        case Goodwill(customer=c, amount=a):
            return EntryKind.ADJUSTMENT, [
                (accounts.adjustments, rub(-a)),
                (accounts.customers[c], rub(a)),
            ]
        case Overdraft(customer=c, excess=e):
            account = accounts.customers[c]
            a = model.balances[account.pk] + e
            return EntryKind.SETTLEMENT, [(account, rub(-a)), (accounts.revenue, rub(a))]
        case Unbalanced(customer=c, amount=a, skew=k):
            return EntryKind.TOP_UP, [
                (accounts.clearing, rub(-a)),
                (accounts.customers[c], rub(a + k)),
            ]
        case Unrounded(customer=c, amount=a):
            a += Decimal("0.001")
            return EntryKind.TOP_UP, [(accounts.clearing, rub(-a)), (accounts.customers[c], rub(a))]
    raise AssertionError(op)  # pragma: no cover


def expected_refusal(op: Operation, lines: list[Line], model: Model) -> type[LedgerError] | None:
    """The model's verdict, in post()'s order: validation, then replay, then limits."""
    if isinstance(op, Unbalanced):
        return UnbalancedEntry
    if isinstance(op, Unrounded):
        return InvalidPosting
    if op.key in model.entry_by_key:
        return None
    net: dict[int, Decimal] = defaultdict(Decimal)
    for account, money in lines:
        net[account.pk] += money.amount
    for account, _ in lines:
        limit = account.min_balance
        if limit is not None and model.balances[account.pk] + net[account.pk] < limit:
            return InsufficientFunds
    return None


def apply(op: Operation, accounts: Accounts, model: Model) -> None:
    kind, lines = lines_for(op, accounts, model)
    refusal = expected_refusal(op, lines, model)
    before = ledger_state()

    if refusal is not None:
        with pytest.raises(refusal):
            actions.post(lines=lines, kind=kind, idempotency_key=op.key)
        assert ledger_state() == before, f"{op} was refused but changed the ledger"
        event(f"refused: {refusal.__name__}")
        if isinstance(op, Overdraft):
            assert refusal is InsufficientFunds
        return

    entry, created = actions.post(lines=lines, kind=kind, idempotency_key=op.key)

    if op.key is not None and op.key in model.entry_by_key:
        assert (entry.pk, created) == (model.entry_by_key[op.key], False), f"{op} replayed"
        assert ledger_state() == before, f"the replay {op} moved money"
        event("replayed")
        return

    assert created is True
    assert not isinstance(op, Overdraft | Unbalanced | Unrounded), f"{op} was accepted"
    assert entry.postings.count() == len(lines)
    for account, money in lines:
        model.balances[account.pk] += money.amount
    model.entries += 1
    event(f"posted: {type(op).__name__}")
    model.postings += len(lines)
    if op.key is not None:
        model.entry_by_key[op.key] = entry.pk
        assert entry.idempotency_key == op.key


def assert_invariants(accounts: Accounts, model: Model) -> None:
    report = checks.run()
    assert report.ok, report.violations
    assert (report.entries, report.postings) == (model.entries, model.postings)
    stored = dict(LedgerAccount.objects.values_list("pk", "balance"))
    assert {a.pk: stored[a.pk] for a in accounts.all} == {
        a.pk: model.balances[a.pk] for a in accounts.all
    }
    for account in accounts.customers:
        assert stored[account.pk] >= 0
    # Money is neither created nor destroyed: all balances together sum to zero.
    assert sum(stored.values()) == 0


@pytest.fixture
def accounts(account_factory) -> Accounts:
    return Accounts(
        customers=[actions.customer_account(account_factory()) for _ in range(CUSTOMERS)],
        clearing=actions.clearing_account("card", "RUB"),
        revenue=actions.revenue_account("vps", "RUB"),
        adjustments=actions.adjustments_account("RUB"),
    )


@pytest.mark.slow  # a minute or more: `make test-slow`, and CI
@pytest.mark.django_db
@settings(max_examples=100)
@given(ops=st.lists(operations, min_size=1, max_size=30))
def test_random_operations_keep_every_ledger_invariant(accounts, ops):
    try:
        with transaction.atomic():
            assert JournalEntry.objects.count() == 0, "examples must not see each other"
            model = Model()
            assert_invariants(accounts, model)
            for op in ops:
                apply(op, accounts, model)
                assert_invariants(accounts, model)
            raise Rollback
    except Rollback:
        pass
