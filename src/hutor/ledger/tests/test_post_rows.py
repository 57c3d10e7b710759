"""post_rows() (the billing run's bulk post: plain tuples through its row writer) is post_many()
with another way to the database: on the same ledger and drafts it writes the same entries and
postings, leaves the same balances and totals credited, answers the same (written now or not,
per draft) and refuses the same batches (InsufficientFunds, nothing written)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from hutor.billing.fastpath import bulk_insert
from hutor.ledger import actions, checks
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount, Posting
from hutor.ledger.tests.ledger_helpers import rub, top_up

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


class _Rollback(Exception):
    pass


def _state() -> dict[str, Any]:
    """The ledger by content (ids differ between the two runs: they are left out)."""
    return {
        "entries": sorted(
            JournalEntry.objects.values_list(
                "kind", "memo", "reference", "billing_account_id", "idempotency_key", "created_at"
            ),
            key=repr,
        ),
        "postings": sorted(
            Posting.objects.values_list(
                "entry__idempotency_key", "entry__kind", "account__code", "amount", "currency"
            ),
            key=repr,
        ),
        "accounts": sorted(
            LedgerAccount.objects.values_list("code", "balance", "credited"), key=repr
        ),
    }


def _run(post: Any, drafts: list[actions.EntryDraft]) -> tuple[Any, dict[str, Any]]:
    """`post(drafts)` in a transaction rolled back afterwards: (what it answered, the state)."""
    outcome: Any
    try:
        with transaction.atomic():
            try:
                outcome = [created for _entry, created in post(drafts)]
            except InsufficientFunds:
                outcome = InsufficientFunds
            state = _state()
            assert checks.run().ok
            raise _Rollback
    except _Rollback:
        pass
    return outcome, state


def _post_rows(drafts: list[actions.EntryDraft]) -> list[tuple[int, bool]]:
    return actions.post_rows(drafts, insert=bulk_insert)


drafted = st.lists(
    st.tuples(
        st.sampled_from(["top_up", "settle"]),
        st.integers(min_value=0, max_value=2),  # which customer
        st.integers(min_value=1, max_value=30000),  # kopecks
        st.one_of(st.none(), st.sampled_from(["k1", "k2", "old"])),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(ops=drafted)
def test_post_rows_writes_what_post_many_writes(account_factory, ops):
    with time_machine.travel(NOON, tick=False), transaction.atomic():
        customers = [actions.customer_account(account_factory()) for _ in range(3)]
        clearing = actions.clearing_account("card", "RUB")
        revenue = actions.revenue_account("vps", "RUB")
        for customer in customers:
            top_up(customer, "100.00")
        top_up(customers[0], "1.00", key="old")  # a key already posted: answered, not written
        drafts = []
        for kind, c, kopecks, key in ops:
            money = rub(Decimal(kopecks) / 100)
            lines = (
                [(clearing, -money), (customers[c], money)]
                if kind == "top_up"
                else [(customers[c], -money), (revenue, money)]
            )
            drafts.append(
                actions.EntryDraft(
                    lines=lines,
                    kind=EntryKind.TOP_UP if kind == "top_up" else EntryKind.SETTLEMENT,
                    memo=f"{kind} {kopecks}",
                    billing_account=customers[c].billing_account,
                    idempotency_key=key,
                )
            )
        assert _run(_post_rows, drafts) == _run(actions.post_many, drafts)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_post_rows_answers_with_entry_ids(customer, clearing, revenue):
    top_up(customer, "100.00", key="payment:1")
    drafts = [
        actions.EntryDraft(
            lines=[(clearing, rub("-10.00")), (customer, rub("10.00"))],
            kind=EntryKind.TOP_UP,
            idempotency_key="payment:1",  # posted before: that entry, not written
        ),
        actions.EntryDraft(
            lines=[(customer, rub("-60.00")), (revenue, rub("60.00"))],
            kind=EntryKind.SETTLEMENT,
            idempotency_key="invoice:1",
        ),
        actions.EntryDraft(  # the same key again in the call: the entry above, not written
            lines=[(customer, rub("-60.00")), (revenue, rub("60.00"))],
            kind=EntryKind.SETTLEMENT,
            idempotency_key="invoice:1",
        ),
    ]
    with transaction.atomic():
        answered = actions.post_rows(drafts, insert=bulk_insert)
    by_key = dict(JournalEntry.objects.values_list("idempotency_key", "pk"))
    assert answered == [
        (by_key["payment:1"], False),
        (by_key["invoice:1"], True),
        (by_key["invoice:1"], False),
    ]
    assert Posting.objects.filter(entry_id=by_key["invoice:1"]).count() == 2
    assert LedgerAccount.objects.get(pk=customer.pk).balance == Decimal("40.00")
    assert checks.run().ok
