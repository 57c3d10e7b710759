"""`hutor ledger check` on ledgers broken many ways at once: each invariant keeps its own ten
examples and the count of all its broken rows, whether they come from PostgreSQL's single pass
over the postings (GROUPING SETS) or SQLite's two."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hutor.ledger import actions, checks
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount, Posting
from hutor.ledger.tests.ledger_helpers import rub, settle, top_up
from hutor.ledger.tests.test_check_command import raw_sql, run_check

pytestmark = pytest.mark.django_db


def entry(*postings: tuple[LedgerAccount, str, str]) -> JournalEntry:
    """A journal entry written behind post()'s back (INSERT is what the guards allow)."""
    made = JournalEntry.objects.create(created_at="2026-01-01T00:00Z", kind=EntryKind.ADJUSTMENT)
    for account, amount, currency in postings:
        Posting.objects.create(
            entry=made, account=account, amount=Decimal(amount), currency=currency
        )
    return made


def reported(output: str) -> dict[str, tuple[int, list[str]]]:
    """The command's output as {invariant: (count, examples)}, in the order printed."""
    found: dict[str, tuple[int, list[str]]] = {}
    current = ""
    for line in output.splitlines():
        if line.startswith("  broken invariant: "):
            current, count = line.removeprefix("  broken invariant: ").rsplit(": ", 1)
            found[current] = (int(count), [])
        elif line.startswith("    - "):
            found[current][1].append(line.removeprefix("    - "))
    return found


def test_the_full_check_reads_the_postings_once_on_postgresql_twice_on_sqlite(customer):
    """PostgreSQL: the accounts' currencies (one small table), then one statement, which also
    counts the entries. SQLite (no GROUPING SETS): the entry pass, the account pass and a count
    of the entries. Whatever is broken: the count and
    the examples of each invariant come from the same pass."""
    top_up(customer, "100.00")
    settle(customer, "40.00")
    with CaptureQueriesContext(connection) as sound:
        assert checks.run().ok
    entry((customer, "1.00", "RUB"))
    with CaptureQueriesContext(connection) as broken:
        report = checks.run()
    assert [v.invariant for v in report.violations] == [
        checks.ENTRY_SUMS_TO_ZERO,
        checks.TWO_POSTINGS,
        checks.CACHED_BALANCE,
    ]
    for queries in (sound, broken):
        sql = [q["sql"] for q in queries.captured_queries if "ledger_" in q["sql"]]
        passes = len([q for q in sql if "ledger_posting" in q])
        if connection.vendor == "postgresql":
            assert (passes, len(sql)) == (1, 2), sql
            assert "GROUPING SETS" in sql[1]
        else:
            assert (passes, len(sql)) == (2, 3), sql


def test_broken_entries_each_keep_ten_examples_and_the_count_of_all(customer, clearing):
    """Twelve entries of one posting (unbalanced, and too few postings) and three without any
    postings: the two entry invariants, each with its first ten entries and its own count."""
    lonely = [entry((customer, "1.00", "RUB")) for _ in range(12)]
    empty = [entry() for _ in range(3)]
    raw_sql("UPDATE ledger_ledgeraccount SET balance = 12 WHERE id = %s", customer.pk)

    code, output = run_check()

    assert code == 1
    assert "ledger check: FAILED (15 entries, 12 postings, 2 accounts)" in output
    assert reported(output) == {
        checks.ENTRY_SUMS_TO_ZERO: (12, [f"entry #{e.pk}: RUB sums to 1.00" for e in lonely[:10]]),
        checks.TWO_POSTINGS: (15, [f"entry #{e.pk}: 1 posting(s)" for e in lonely[:10]]),
    }
    assert f"entry #{empty[0].pk}: 0 posting(s)" not in output  # past the first ten


def test_an_entry_without_postings_is_found(customer, clearing):
    actions.post(
        lines=[(clearing, -rub("5.00")), (customer, rub("5.00"))],
        kind=EntryKind.TOP_UP,
    )
    empty = entry()

    code, output = run_check()

    assert code == 1
    assert "ledger check: FAILED (2 entries, 2 postings, 2 accounts)" in output
    assert reported(output) == {checks.TWO_POSTINGS: (1, [f"entry #{empty.pk}: 0 posting(s)"])}


def test_every_account_invariant_keeps_ten_examples_and_the_count_of_all(account_factory):
    """Twelve accounts broken each way at once (balance, credited, limit) and twelve entries of
    two zero postings (invalid postings, yet balanced): four invariants, ten examples each."""
    accounts = [actions.customer_account(account_factory()) for _ in range(12)]
    for account in accounts:
        raw_sql(
            "UPDATE ledger_ledgeraccount SET balance = -1, credited = 2, min_balance = 0 "
            "WHERE id = %s",
            account.pk,
        )
    zeros = [entry((account, "0", "RUB"), (account, "0.00", "RUB")) for account in accounts]

    found = reported(run_check()[1])

    assert list(found) == [
        checks.POSTING_VALID,
        checks.CACHED_BALANCE,
        checks.CACHED_CREDITED,
        checks.LIMIT,
    ]
    assert {invariant: len(examples) for invariant, (_n, examples) in found.items()} == {
        invariant: 10 for invariant in found
    }
    assert {invariant: n for invariant, (n, _examples) in found.items()} == {
        checks.POSTING_VALID: 24,
        checks.CACHED_BALANCE: 12,
        checks.CACHED_CREDITED: 12,
        checks.LIMIT: 12,
    }
    first = accounts[0]
    assert found[checks.CACHED_BALANCE][1][0] == f"{first}: cached -1.00, postings sum to 0.00"
    assert found[checks.CACHED_CREDITED][1][0] == (
        f"{first}: cached credited 2.00, top-up postings sum to 0.00"
    )
    assert found[checks.LIMIT][1][0] == f"{first}: balance -1.00, limit 0.00"
    assert found[checks.POSTING_VALID][1][0].startswith("posting #")
    assert f"of entry #{zeros[0].pk}: 0.00 RUB on {first}" in found[checks.POSTING_VALID][1][0]


def test_an_entry_in_two_currencies_among_broken_entries(customer, clearing):
    """One entry in RUB and USD, each summing to zero, beside a broken RUB entry and an entry in
    two currencies whose sums cancel overall: each currency is summed apart, and the other
    invariants are reported as usual."""
    usd_in = actions.clearing_account("card", "USD")
    usd_out = actions.clearing_account("bank", "USD")
    entry(
        (clearing, "-1.00", "RUB"),
        (customer, "1.00", "RUB"),
        (usd_in, "-2.00", "USD"),
        (usd_out, "2.00", "USD"),
    )
    odd = entry((customer, "3.00", "RUB"), (usd_out, "-3.00", "USD"))
    lonely = entry((customer, "0.50", "RUB"))
    for account, balance in [(clearing, "-1"), (customer, "4.50"), (usd_in, "-2"), (usd_out, "-1")]:
        raw_sql(
            "UPDATE ledger_ledgeraccount SET balance = %s WHERE id = %s",
            Decimal(balance),
            account.pk,
        )

    code, output = run_check()

    assert code == 1
    assert "ledger check: FAILED (3 entries, 7 postings, 4 accounts)" in output
    assert reported(output) == {
        checks.ENTRY_SUMS_TO_ZERO: (
            3,
            [
                f"entry #{odd.pk}: RUB sums to 3.00",
                f"entry #{odd.pk}: USD sums to -3.00",
                f"entry #{lonely.pk}: RUB sums to 0.50",
            ],
        ),
        checks.TWO_POSTINGS: (1, [f"entry #{lonely.pk}: 1 posting(s)"]),
    }


def test_postings_in_another_currency_than_every_account_are_summed_per_currency(
    customer, clearing
):
    """Every account is in RUB, so the pass does not look at each entry's currencies; an entry
    whose RUB and USD postings cancel overall (the USD one invalid on its RUB account) is
    still found, summed per currency."""
    odd = entry((customer, "3.00", "RUB"), (clearing, "-3.00", "USD"))
    raw_sql("UPDATE ledger_ledgeraccount SET balance = 3 WHERE id = %s", customer.pk)
    raw_sql("UPDATE ledger_ledgeraccount SET balance = -3 WHERE id = %s", clearing.pk)

    found = reported(run_check()[1])

    usd = odd.postings.get(currency="USD").pk
    assert found == {
        checks.ENTRY_SUMS_TO_ZERO: (
            2,
            [f"entry #{odd.pk}: RUB sums to 3.00", f"entry #{odd.pk}: USD sums to -3.00"],
        ),
        checks.POSTING_VALID: (
            1,
            [f"posting #{usd} of entry #{odd.pk}: -3.00 USD on {clearing}"],
        ),
    }


def test_accounts_in_two_currencies_still_take_one_pass(customer, clearing):
    """With RUB and USD accounts the pass reads each entry's currencies; entries each in one
    currency send nothing to the per-(entry, currency) query."""
    usd_in = actions.clearing_account("card", "USD")
    usd_out = actions.clearing_account("bank", "USD")
    entry((clearing, "-1.00", "RUB"), (customer, "1.00", "RUB"))
    lonely = entry((usd_in, "-2.00", "USD"), (usd_out, "2.00", "USD"), (usd_out, "0.50", "USD"))
    balances = [(clearing, "-1"), (customer, "1"), (usd_in, "-2"), (usd_out, "2.50")]
    for account, balance in balances:
        raw_sql(
            "UPDATE ledger_ledgeraccount SET balance = %s WHERE id = %s",
            Decimal(balance),
            account.pk,
        )

    with CaptureQueriesContext(connection) as queries:
        report = checks.run()

    assert [(v.invariant, v.count, v.examples) for v in report.violations] == [
        (checks.ENTRY_SUMS_TO_ZERO, 1, [f"entry #{lonely.pk}: USD sums to 0.50"])
    ]
    sql = [q["sql"] for q in queries.captured_queries if "ledger_posting" in q["sql"]]
    assert len(sql) == (1 if connection.vendor == "postgresql" else 2), sql
