"""posting.post_one(): one entry in hand-written statements, with post_many()'s rules. Each
case is checked against what post_many() writes for the same lines (the parity), and by
`ledger check`."""

from decimal import Decimal

import pytest
from django.db import transaction

from hutor.core.money import Money
from hutor.ledger import actions, checks
from hutor.ledger.exceptions import InsufficientFunds, InvalidPosting, UnbalancedEntry
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount, Posting
from hutor.ledger.posting import post_one
from hutor.ledger.tests.ledger_helpers import rub

pytestmark = pytest.mark.django_db


def top_up(billing_account, amount: str, key: str | None, **extra):
    lines = [
        (actions.clearing_spec("card", "RUB"), rub(f"-{amount}")),
        (actions.customer_spec(billing_account), rub(amount)),
    ]
    with transaction.atomic():
        return post_one(
            lines=lines,
            kind=extra.pop("kind", EntryKind.TOP_UP),
            memo="Card payment",
            reference="P-1",
            billing_account=billing_account,
            idempotency_key=key,
            **extra,
        )


def rows(entry_id: int) -> tuple[tuple, list[tuple]]:
    entry = JournalEntry.objects.values_list(
        "kind", "memo", "reference", "billing_account_id", "idempotency_key", "created_by_id"
    ).get(pk=entry_id)
    postings = sorted(
        Posting.objects.filter(entry_id=entry_id).values_list("account__code", "amount", "currency")
    )
    return entry, postings


def accounts() -> list[tuple]:
    return sorted(
        LedgerAccount.objects.values_list(
            "code", "kind", "name", "currency", "balance", "credited", "min_balance"
        )
    )


def test_it_writes_what_post_many_writes_for_the_same_lines(account_factory):
    """Two customers, the same top-ups: one through post_one (its accounts made on first use),
    one through post_many; entries, postings, balances and totals credited agree."""
    fast, slow = account_factory(), account_factory()
    posted = top_up(fast, "150.25", "k-fast")
    ((entry, created),) = actions.post_many(
        [
            actions.EntryDraft(
                lines=[
                    (actions.clearing_account("card", "RUB"), rub("-150.25")),
                    (actions.customer_account(slow), rub("150.25")),
                ],
                kind=EntryKind.TOP_UP,
                memo="Card payment",
                reference="P-1",
                billing_account=slow,
                idempotency_key="k-slow",
            )
        ]
    )
    assert posted.created and created
    fast_entry, fast_postings = rows(posted.entry_id)
    slow_entry, slow_postings = rows(entry.pk)
    assert fast_entry[:4] == (EntryKind.TOP_UP, "Card payment", "P-1", fast.pk)
    assert fast_entry[4:] == ("k-fast", None) and slow_entry[4:] == ("k-slow", None)
    assert [p[1:] for p in fast_postings] == [p[1:] for p in slow_postings]
    customer = LedgerAccount.objects.get(billing_account=fast)
    twin = LedgerAccount.objects.get(billing_account=slow)
    assert (customer.balance, customer.credited, customer.min_balance, customer.kind) == (
        twin.balance,
        twin.credited,
        twin.min_balance,
        twin.kind,
    )
    assert customer.balance == Decimal("150.25") and customer.credited == Decimal("150.25")
    # What post_one returns is what it wrote.
    returned = posted.accounts[customer.code, "RUB"]
    assert (returned.pk, returned.balance, returned.credited) == (
        customer.pk,
        customer.balance,
        customer.credited,
    )
    assert LedgerAccount.objects.get(code="clearing:card").balance == Decimal("-300.50")
    assert checks.run().ok


def test_a_second_post_with_the_same_key_returns_the_first_entry_and_moves_nothing(
    billing_account,
):
    first = top_up(billing_account, "100.00", "payment:card:T-1")
    before = accounts()
    again = top_up(billing_account, "100.00", "payment:card:T-1")
    assert (again.entry_id, again.created) == (first.entry_id, False)
    assert accounts() == before
    assert JournalEntry.objects.count() == 1 and Posting.objects.count() == 2
    assert checks.run().ok


def test_a_replay_is_answered_even_when_the_lines_would_now_overdraw(billing_account):
    spend = [
        (actions.customer_spec(billing_account), rub("-80.00")),
        (actions.clearing_spec("card", "RUB"), rub("80.00")),
    ]
    top_up(billing_account, "100.00", "top-up")
    with transaction.atomic():
        first = post_one(lines=spend, kind=EntryKind.SETTLEMENT, idempotency_key="spend")
    with transaction.atomic():
        again = post_one(lines=spend, kind=EntryKind.SETTLEMENT, idempotency_key="spend")
    assert (again.entry_id, again.created) == (first.entry_id, False)
    assert actions.customer_account(billing_account).balance == Decimal("20.00")


def test_a_limit_crossed_raises_before_anything_is_written(billing_account):
    top_up(billing_account, "50.00", None)
    before = accounts()
    spend = [
        (actions.customer_spec(billing_account), rub("-50.01")),
        (actions.clearing_spec("card", "RUB"), rub("50.01")),
    ]
    with pytest.raises(InsufficientFunds), transaction.atomic():
        post_one(lines=spend, kind=EntryKind.SETTLEMENT, idempotency_key="over")
    assert accounts() == before
    assert not JournalEntry.objects.filter(idempotency_key="over").exists()
    assert checks.run().ok


def test_a_limit_crossed_is_refused_as_post_many_refuses_it(account_factory):
    """One rule (actions._apply) for both paths: the same overdraft, the same refusal."""
    fast, slow = account_factory(), account_factory()
    for customer in (fast, slow):
        top_up(customer, "50.00", None)
    refusals = []
    with pytest.raises(InsufficientFunds) as refused, transaction.atomic():
        post_one(
            lines=[
                (actions.customer_spec(fast), rub("-50.01")),
                (actions.clearing_spec("card", "RUB"), rub("50.01")),
            ],
            kind=EntryKind.SETTLEMENT,
        )
    refusals.append(refused.value)
    slow_account = actions.customer_account(slow)
    with pytest.raises(InsufficientFunds) as refused:
        actions.post_many(
            [
                actions.EntryDraft(
                    lines=[
                        (slow_account, rub("-50.01")),
                        (actions.clearing_account("card", "RUB"), rub("50.01")),
                    ],
                    kind=EntryKind.SETTLEMENT,
                )
            ]
        )
    refusals.append(refused.value)
    assert [(r.balance, r.limit) for r in refusals] == [(Decimal("-0.01"), Decimal("0.00"))] * 2
    assert [r.account_code for r in refusals] == [f"customer:{fast.number}", slow_account.code]


@pytest.mark.parametrize(
    ("amounts", "error"),
    [
        (("-10.00", "9.00"), UnbalancedEntry),
        (("-10.001", "10.001"), InvalidPosting),
        (("0.00", "0.00"), InvalidPosting),
    ],
)
def test_an_invalid_entry_is_refused_and_writes_nothing(billing_account, amounts, error):
    lines = [
        (actions.clearing_spec("card", "RUB"), Money(amounts[0])),
        (actions.customer_spec(billing_account), Money(amounts[1])),
    ]
    with pytest.raises(error), transaction.atomic():
        post_one(lines=lines, kind=EntryKind.TOP_UP)
    assert not JournalEntry.objects.exists() and not LedgerAccount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_entries_that_announce_themselves_and_calls_outside_a_transaction_are_refused(
    billing_account,
):
    with pytest.raises(ValueError, match="post"):
        top_up(billing_account, "10.00", None, kind=EntryKind.ADJUSTMENT)
    lines = [
        (actions.clearing_spec("card", "RUB"), rub("-10.00")),
        (actions.customer_spec(billing_account), rub("10.00")),
    ]
    with pytest.raises(RuntimeError, match="transaction"):
        post_one(lines=lines, kind=EntryKind.TOP_UP)
    assert not JournalEntry.objects.exists()
