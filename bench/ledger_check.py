"""Benchmark of `hutor ledger check` (not a timed test): the full check and a `--since` check of
the last day, on a ledger of N postings.

    .venv/bin/python bench/ledger_check.py --db postgres [--postings 10000000] [--accounts 100000] \
        [--database-url postgres://postgres@127.0.0.1:5432/hutor_bench_ledger]
    .venv/bin/python bench/ledger_check.py --db sqlite --postings 1000000

Builds a fresh database (a temporary SQLite file, or the PostgreSQL database of the URL, dropped
and created again: never point it at a database you care about) with bulk SQL (`INSERT ...
SELECT` from a series, no Python per row): a clearing account, a revenue account and N customer
accounts; N/2 journal entries over the last 365 days, alternately a top-up of 10.00 (clearing to
a customer) and a settlement of 1.00-9.00 (that customer to revenue), two postings each; the
cached balances and totals credited set from the postings by one aggregate UPDATE each; then
ANALYZE (VACUUM ANALYZE on PostgreSQL). It runs the check in-process (`checks.run`), asserts that
the ledger is sound, and prints the time and microseconds per posting of the full check and of
`--since` the last day. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from billing_run import prepare_database  # noqa: E402

if TYPE_CHECKING:
    from hutor.ledger.checks import Report

DAYS = 365


def series(vendor: str, n: int) -> tuple[str, list[int]]:
    """A FROM-able subquery of the integers 0..n-1 as column i."""
    if vendor == "postgresql":
        return "(SELECT generate_series(0, %s - 1) AS i) s", [n]
    return (
        "(WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < %s - 1) "
        "SELECT i FROM r) s",
        [n],
    )


def build(postings: int, accounts: int) -> None:
    from django.db import connection, transaction

    vendor = connection.vendor
    entries = postings // 2
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = now - dt.timedelta(days=DAYS)
    if vendor == "postgresql":
        created = "%s::timestamptz + (s.i * %s) * interval '1 second'"
        money = "::numeric"
    else:
        created = "strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+' || (s.i * %s) || ' seconds')"
        money = ""
    start = connection.ops.adapt_datetimefield_value(first)
    # Fractional: a whole number of seconds left the last weeks without entries at 10M postings
    # (6 s x 5M entries = 347 days), and --since yesterday with nothing to check.
    step = DAYS * 86400 / max(entries, 1)
    account_rows, account_params = series(vendor, accounts)
    entry_rows, entry_params = series(vendor, entries)
    customer = f"3 + (s.i / 2) %% {accounts}"  # %% : these statements take parameters
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_ledgeraccount "
            "(id, code, kind, name, currency, balance, credited, min_balance) VALUES "
            "(1, 'clearing:bench', 'clearing', 'Clearing', 'RUB', 0, 0, NULL), "
            "(2, 'revenue:bench', 'revenue', 'Revenue', 'RUB', 0, 0, NULL)"
        )
        cursor.execute(
            "INSERT INTO ledger_ledgeraccount "  # noqa: S608
            "(id, code, kind, name, currency, balance, credited, min_balance) "
            "SELECT 3 + s.i, 'customer:' || (3 + s.i), 'customer', 'Customer', 'RUB', 0, 0, 0 "
            f"FROM {account_rows}",
            account_params,
        )
        cursor.execute(
            "INSERT INTO ledger_journalentry "  # noqa: S608
            "(id, created_at, kind, memo, reference) "
            f"SELECT s.i + 1, {created}, "
            "CASE WHEN s.i %% 2 = 0 THEN 'top_up' ELSE 'settlement' END, '', '' "
            f"FROM {entry_rows}",
            [start, step, *entry_params],
        )
        amount = f"CASE WHEN s.i %% 2 = 0 THEN 10{money} ELSE (1 + (s.i / 2) %% 9){money} END"
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, currency) "  # noqa: S608
            f"SELECT s.i + 1, CASE WHEN s.i %% 2 = 0 THEN 1 ELSE {customer} END, -({amount}), "
            f"'RUB' FROM {entry_rows} "
            f"UNION ALL SELECT s.i + 1, CASE WHEN s.i %% 2 = 0 THEN {customer} ELSE 2 END, "
            f"{amount}, 'RUB' FROM {entry_rows}",
            [*entry_params, *entry_params],
        )
        cursor.execute(
            "UPDATE ledger_ledgeraccount SET balance = t.total FROM (SELECT account_id, "
            "SUM(amount) AS total FROM ledger_posting GROUP BY account_id) t "
            "WHERE t.account_id = ledger_ledgeraccount.id"
        )
        cursor.execute(
            "UPDATE ledger_ledgeraccount SET credited = t.total FROM (SELECT p.account_id, "
            "SUM(p.amount) AS total FROM ledger_posting p JOIN ledger_journalentry e "
            "ON e.id = p.entry_id WHERE e.kind = 'top_up' AND p.amount > 0 "
            "GROUP BY p.account_id) t WHERE t.account_id = ledger_ledgeraccount.id"
        )
        if vendor == "postgresql":
            for table in ("ledger_ledgeraccount", "ledger_journalentry", "ledger_posting"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")


def timed(since: dt.date | None) -> tuple[float, Report]:
    from hutor.ledger import checks

    started = time.perf_counter()
    report = checks.run(since=since)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hutor_bench_ledger"
    )
    parser.add_argument("--postings", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each check (best kept)")
    args = parser.parse_args()
    args.batch_size, args.server_side_binding = 1000, False  # for billing_run's helpers
    prepare_database(args)

    started = time.perf_counter()
    build(args.postings, args.accounts)
    print(f"built {args.postings:,} postings in {time.perf_counter() - started:.1f} s")

    from django.utils import timezone

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for label, since in [("full", None), (f"--since {yesterday}", yesterday)]:
        runs = [timed(since) for _ in range(args.repeat)]
        seconds = min(run[0] for run in runs)
        report = runs[0][1]
        assert report.ok, report.violations
        checked = report.postings
        per = seconds / max(checked, 1) * 1e6
        print(
            f"{args.db} ledger check {label}: {seconds:.2f} s for {checked:,} postings "
            f"({per:.2f} µs/posting; runs: {', '.join(f'{r[0]:.2f}' for r in runs)})"
        )


if __name__ == "__main__":
    main()
