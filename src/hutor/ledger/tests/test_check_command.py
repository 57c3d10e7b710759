"""`hutor ledger check`: OK on a consistent ledger, exit 1 naming what was broken otherwise."""

import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from hutor.ledger import actions, checks
from hutor.ledger.models import EntryKind, JournalEntry, Posting
from hutor.ledger.tests.ledger_helpers import balance_of, rub, settle, top_up

CACHED_BALANCE = "each cached balance equals the sum of its postings"
CACHED_CREDITED = "each cached total credited equals the sum of its top-up postings"
LIMIT = "no balance below its allowed limit"
ENTRY_SUMS_TO_ZERO = "each journal entry sums to zero per currency"
TWO_POSTINGS = "each journal entry has at least two postings"
POSTING_VALID = "postings are non-zero and in their account's currency"


def run_check(*args: str) -> tuple[int, str]:
    """Run `ledger check` in-process; return its exit code and output."""
    out = io.StringIO()
    try:
        call_command("ledger", "check", *args, stdout=out)
    except SystemExit as exit_:
        assert exit_.code != 0, "the command exits only to report a failure"
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def raw_sql(sql: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def busy_ledger(customer, account_factory):
    """A few ordinary days of business."""
    top_up(customer, "100.00", key="payment:1")
    top_up(customer, "100.00", key="payment:1")  # the notification arrived twice
    settle(customer, "40.00")
    other = actions.customer_account(account_factory())
    top_up(other, "10.00")
    return customer


pytestmark = pytest.mark.django_db


def test_an_empty_ledger_checks_ok():
    code, output = run_check()
    assert code == 0
    assert "ledger check: OK (0 entries, 0 postings, 0 accounts)" in output


def test_a_consistent_ledger_checks_ok(busy_ledger):
    code, output = run_check()
    assert code == 0
    assert "ledger check: OK (3 entries, 6 postings, 4 accounts)" in output
    assert "broken invariant" not in output


def test_a_cached_balance_changed_behind_the_ledgers_back_fails_the_check(busy_ledger):
    raw_sql("UPDATE ledger_ledgeraccount SET balance = balance + 1 WHERE id = %s", busy_ledger.pk)

    code, output = run_check()

    assert code == 1
    assert "ledger check: FAILED" in output
    assert f"broken invariant: {CACHED_BALANCE}: 1" in output
    # The sum prints as 60 or 60.00 depending on the database; the prefix fits both.
    assert f"{busy_ledger.code} (RUB): cached 61.00, postings sum to 60" in output
    assert LIMIT not in output and ENTRY_SUMS_TO_ZERO not in output


def test_a_cached_total_credited_changed_behind_the_ledgers_back_fails_the_check(busy_ledger):
    raw_sql("UPDATE ledger_ledgeraccount SET credited = credited + 1 WHERE id = %s", busy_ledger.pk)

    code, output = run_check()

    assert code == 1
    assert f"broken invariant: {CACHED_CREDITED}: 1" in output
    number = busy_ledger.billing_account.number
    assert f"customer:{number} (RUB): cached credited 101.00, top-up postings sum to 100" in output
    assert CACHED_BALANCE not in output  # the balance itself is intact


def test_each_invariant_keeps_its_own_examples_and_count(account_factory):
    """Twelve broken balances do not crowd out the three broken totals credited."""
    accounts = [actions.customer_account(account_factory()) for _ in range(15)]
    for account in accounts[:12]:
        raw_sql("UPDATE ledger_ledgeraccount SET balance = 1 WHERE id = %s", account.pk)
    for account in accounts[12:]:
        raw_sql("UPDATE ledger_ledgeraccount SET credited = 5 WHERE id = %s", account.pk)

    report = checks.run()

    counts = {v.invariant: (v.count, len(v.examples)) for v in report.violations}
    assert counts == {CACHED_BALANCE: (12, 10), CACHED_CREDITED: (3, 3)}
    assert report.accounts == 15


def test_an_entry_in_two_currencies_is_summed_per_currency(customer, clearing):
    """post() allows an entry in several currencies if each sums to zero: its overall sum says
    nothing, so the check sums it per currency."""
    usd_in = actions.clearing_account("card", "USD")
    usd_out = actions.clearing_account("bank", "USD")
    rub_out = actions.clearing_account("bank", "RUB")
    both = JournalEntry.objects.create(created_at="2026-01-01T00:00Z", kind=EntryKind.ADJUSTMENT)
    for account, amount, currency in [
        (clearing, "-1.00", "RUB"),
        (rub_out, "1.00", "RUB"),
        (usd_in, "-2.00", "USD"),
        (usd_out, "2.00", "USD"),
    ]:
        Posting.objects.create(
            entry=both, account=account, amount=Decimal(amount), currency=currency
        )
    raw_sql("UPDATE ledger_ledgeraccount SET balance = -1 WHERE id = %s", clearing.pk)
    raw_sql("UPDATE ledger_ledgeraccount SET balance = 1 WHERE id = %s", rub_out.pk)
    raw_sql("UPDATE ledger_ledgeraccount SET balance = -2 WHERE id = %s", usd_in.pk)
    raw_sql("UPDATE ledger_ledgeraccount SET balance = 2 WHERE id = %s", usd_out.pk)
    assert checks.run().ok

    # Two wrongs that cancel overall: +3 RUB and -3 USD.
    odd = JournalEntry.objects.create(created_at="2026-01-01T00:00Z", kind=EntryKind.ADJUSTMENT)
    Posting.objects.create(entry=odd, account=rub_out, amount=Decimal("3.00"), currency="RUB")
    Posting.objects.create(entry=odd, account=usd_out, amount=Decimal("-3.00"), currency="USD")

    [sums] = [v for v in checks.run().violations if v.invariant == ENTRY_SUMS_TO_ZERO]
    assert sums.count == 2
    assert sorted(sums.examples) == [
        f"entry #{odd.pk}: RUB sums to 3.00",
        f"entry #{odd.pk}: USD sums to -3.00",
    ]


def test_a_customer_balance_set_below_zero_fails_the_check(busy_ledger):
    raw_sql("UPDATE ledger_ledgeraccount SET balance = -5 WHERE id = %s", busy_ledger.pk)

    code, output = run_check()

    assert code == 1
    assert f"broken invariant: {LIMIT}: 1" in output
    assert f"{busy_ledger.code} (RUB): balance -5.00, limit 0.00" in output
    assert CACHED_BALANCE in output  # and the postings still say 60.00


def test_a_raised_limit_alone_breaks_only_the_limit_invariant(busy_ledger):
    raw_sql("UPDATE ledger_ledgeraccount SET min_balance = 100 WHERE id = %s", busy_ledger.pk)

    code, output = run_check()

    assert code == 1
    assert f"broken invariant: {LIMIT}: 1" in output
    assert CACHED_BALANCE not in output


def test_a_posting_inserted_outside_post_unbalances_its_entry(busy_ledger):
    """INSERT is allowed by the guards (the ledger is append-only), so the check must see it."""
    entry = JournalEntry.objects.first()
    assert entry is not None
    Posting.objects.create(entry=entry, account=busy_ledger, amount=Decimal("3.00"), currency="RUB")

    code, output = run_check()

    assert code == 1
    assert f"broken invariant: {ENTRY_SUMS_TO_ZERO}: 1" in output
    assert f"entry #{entry.pk}: RUB sums to 3" in output
    assert CACHED_BALANCE in output


def test_a_lonely_posting_and_an_invalid_posting_are_reported(customer, clearing):
    lonely = JournalEntry.objects.create(created_at="2026-01-01T00:00Z", kind=EntryKind.TOP_UP)
    Posting.objects.create(entry=lonely, account=customer, amount=Decimal(0), currency="RUB")
    odd = JournalEntry.objects.create(created_at="2026-01-01T00:00Z", kind=EntryKind.TOP_UP)
    Posting.objects.create(entry=odd, account=customer, amount=Decimal("1.00"), currency="USD")
    Posting.objects.create(entry=odd, account=clearing, amount=Decimal("-1.00"), currency="USD")

    code, output = run_check()

    assert code == 1
    assert f"broken invariant: {TWO_POSTINGS}: 1" in output
    assert f"entry #{lonely.pk}: 1 posting(s)" in output
    assert f"broken invariant: {POSTING_VALID}: 3" in output  # a zero, two in the wrong currency
    assert f"of entry #{odd.pk}: 1.00 USD on {customer}" in output


def test_the_report_lists_at_most_ten_examples_but_counts_all(account_factory):
    accounts = [actions.customer_account(account_factory()) for _ in range(12)]
    for account in accounts:
        raw_sql("UPDATE ledger_ledgeraccount SET balance = 1 WHERE id = %s", account.pk)

    report = checks.run()

    assert not report.ok
    [violation] = report.violations
    assert violation.invariant == CACHED_BALANCE
    assert violation.count == 12
    assert len(violation.examples) == checks.SAMPLE == 10


def test_check_is_exact_for_kopecks_summed_by_the_database(customer, clearing):
    """0.10 + 0.20 must equal 0.30 in the check, as it does in post().

    SQLite sums NUMERIC columns as binary floats (0.30000000000000004); checks.run() rounds the
    sums to the column's scale in SQL so that a consistent ledger passes on both databases.
    """
    top_up(customer, "0.10")
    top_up(customer, "0.20")
    actions.post(
        lines=[
            (clearing, rub("-1.10")),
            (customer, rub("0.70")),
            (customer, rub("0.20")),
            (customer, rub("0.20")),
        ],
        kind=EntryKind.TOP_UP,
    )
    assert balance_of(customer) == Decimal("1.40")
    assert checks.run().violations == []
    assert run_check()[0] == 0


# --- Checking the new entries only: --since ----------------------------------------------------

EARLY = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
# 00:30 on 20 November in Moscow (the provider's time zone): already "since 2026-11-20".
LATE = dt.datetime(2026, 11, 19, 21, 30, tzinfo=dt.UTC)


def test_since_checks_the_entries_of_that_day_on_and_the_accounts_they_touched(
    customer, account_factory
):
    with time_machine.travel(EARLY, tick=False):
        old, _ = top_up(customer, "100.00")
    # An old entry broken long ago (and with it the customer's balance).
    Posting.objects.create(entry=old, account=customer, amount=Decimal("3.00"), currency="RUB")
    newcomer = actions.customer_account(account_factory())
    with time_machine.travel(LATE, tick=False):
        top_up(newcomer, "10.00")

    code, output = run_check("--since", "2026-11-20")
    assert code == 0, output
    # One entry, its two postings, the two accounts they touched.
    assert "ledger check: OK (1 entries, 2 postings, 2 accounts)" in output

    code, output = run_check("--since", "2026-11-21")
    assert code == 0
    assert "ledger check: OK (0 entries, 0 postings, 0 accounts)" in output

    for args in [("--since", "2026-11-01"), ()]:
        code, output = run_check(*args)
        assert code == 1
        assert f"broken invariant: {ENTRY_SUMS_TO_ZERO}: 1" in output
        assert f"entry #{old.pk}: RUB sums to 3" in output
        assert f"broken invariant: {CACHED_BALANCE}: 1" in output

    # A shared account's sum is its whole history: the full check covers it, --since does not.
    clearing = actions.clearing_account("card", "RUB")
    raw_sql("UPDATE ledger_ledgeraccount SET balance = balance + 1 WHERE id = %s", clearing.pk)
    assert run_check("--since", "2026-11-20")[0] == 0
    assert f"{clearing}: cached -109.00, postings sum to -110" in run_check()[1]

    # A cached figure broken on a customer balance touched by the new entries is found since then.
    raw_sql("UPDATE ledger_ledgeraccount SET credited = 0 WHERE id = %s", newcomer.pk)
    code, output = run_check("--since", "2026-11-20")
    assert code == 1
    assert f"broken invariant: {CACHED_CREDITED}: 1" in output
    assert f"{newcomer.code} (RUB): cached credited 0.00, top-up postings sum to 10" in output
    assert CACHED_BALANCE not in output and ENTRY_SUMS_TO_ZERO not in output


@pytest.mark.parametrize("day", ["yesterday", "2026-13-01", ""])
def test_since_refuses_what_is_not_a_date(day):
    with pytest.raises(CommandError) as refused:
        call_command("ledger", "check", "--since", day)
    assert refused.value.returncode == 2
    assert "YYYY-MM-DD" in str(refused.value)


# --- The installed console script, end to end ---------------------------------------------------


def hutor(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(HUTOR_VAR_DIR=str(var_dir), DEBUG="1", SECRET_KEY="x", HUTOR_CLI_LANGUAGE="en")
    return subprocess.run(
        [str(Path(sys.executable).parent / "hutor"), *args],
        env=env,
        cwd=var_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # a minute or more: `make test-slow`, and CI
def test_the_hutor_script_exits_1_on_a_tampered_sqlite_database(tmp_path):
    """Runs on both test databases: the subprocess always uses its own SQLite file."""
    migrated = hutor(tmp_path, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    database = tmp_path / "hutor.sqlite3"
    assert database.exists()

    clean = hutor(tmp_path, "ledger", "check")
    assert clean.returncode == 0, clean.stderr
    assert "ledger check: OK (0 entries, 0 postings, 0 accounts)" in clean.stdout

    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO ledger_ledgeraccount "
            "(code, kind, name, currency, balance, credited, min_balance, billing_account_id) "
            "VALUES ('clearing:forged', 'clearing', 'Forged', 'RUB', 5, 0, NULL, NULL)"
        )
    db.close()

    tampered = hutor(tmp_path, "ledger", "check")
    assert tampered.returncode == 1, tampered.stderr
    assert "ledger check: FAILED (0 entries, 0 postings, 1 accounts)" in tampered.stdout
    assert f"broken invariant: {CACHED_BALANCE}: 1" in tampered.stdout
    assert "clearing:forged (RUB): cached 5.00, postings sum to 0" in tampered.stdout
