"""Benchmark of `hutor ledger check` (not a timed test): the full check and a `--since` check of
the last day, on a ledger of N postings.

    .venv/bin/python bench/ledger_check.py --db postgres [--postings 10000000] [--accounts 100000] \
        [--database-url postgres://postgres@127.0.0.1:5432/hutor_bench_ledger]
    .venv/bin/python bench/ledger_check.py --db sqlite --postings 1000000
    .venv/bin/python bench/ledger_check.py --reuse --cpu --repeat 5 --only full [...]

Builds a fresh database (a temporary SQLite file, or the PostgreSQL database of the URL, dropped
and created again: never point it at a database you care about) with bulk SQL (`INSERT ...
SELECT` from a series, no Python per row): a clearing account, a revenue account and N customer
accounts; N/2 journal entries over the last 365 days, alternately a top-up of 10.00 (clearing to
a customer) and a settlement of 1.00-9.00 (that customer to revenue), two postings each; the
cached balances and totals credited set from the postings by one aggregate UPDATE each; then
ANALYZE (VACUUM ANALYZE on PostgreSQL). It runs the check in-process (`checks.run`), asserts that
the ledger is sound, and prints the time and microseconds per posting of the full check and of
`--since` the last day. Figures go to docs/performance.md.

`--reuse` keeps a database built by an earlier run when it holds the ledger asked for (the
same number of postings and accounts), so that 10M postings are built once and checked many
times: the PostgreSQL database of the URL, or the SQLite file in `--sqlite-dir` (default:
hutor-bench-ledger in the temporary folder; without `--reuse`, SQLite builds in a new temporary
folder each time). `--cpu` also prints the PostgreSQL backend's own CPU time of each run (from
/proc/<pid>/stat: the server must run on this machine), a figure a loaded machine disturbs less
than the wall clock. `--only full` or `--only since` runs one of the two checks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from billing_run import prepare_database  # noqa: E402
from proc_cpu import backend_pid, cpu_seconds  # noqa: E402

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


def built(args: argparse.Namespace) -> bool:
    """Whether the database asked for already holds a ledger of `--postings` postings and
    `--accounts` customers (checked before Django is set up, by the database's own client)."""
    query = (
        "SELECT (SELECT COUNT(*) FROM ledger_posting), (SELECT COUNT(*) FROM ledger_ledgeraccount)"
    )
    expected = (args.postings, args.accounts + 2)
    if args.db == "sqlite":
        path = Path(args.sqlite_dir) / "hutor.sqlite3"
        if not path.exists():
            return False
        with sqlite3.connect(path) as db:
            try:
                return tuple(db.execute(query).fetchone()) == expected
            except sqlite3.Error:
                return False
    import psycopg

    try:
        with psycopg.connect(args.database_url) as conn:
            row = conn.execute(query).fetchone()
    except psycopg.Error:
        return False
    return row is not None and tuple(row) == expected


def open_database(args: argparse.Namespace) -> bool:
    """Set Django up on the benchmark's database; return whether the ledger must be built."""
    if args.reuse and built(args):
        os.environ["DJANGO_SETTINGS_MODULE"] = "hutor.settings"
        os.environ.setdefault("SECRET_KEY", "bench-only")
        os.environ["LOG_LEVEL"] = "WARNING"
        if args.db == "sqlite":
            os.environ["HUTOR_VAR_DIR"] = args.sqlite_dir
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = args.database_url
        import django

        django.setup()
        return False
    if args.db == "sqlite" and args.reuse:  # build where the next --reuse will look
        folder = Path(args.sqlite_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("hutor.sqlite3*"):
            stale.unlink()
        args.var_dir = str(folder)
    prepare_database(args)
    return True


def backend_cpu() -> float | None:
    """The PostgreSQL backend's CPU time so far (user + system, seconds); None on SQLite."""
    pid = backend_pid()
    return None if pid is None else cpu_seconds(pid)


def timed(since: dt.date | None) -> tuple[float, float | None, Report]:
    """Wall time, backend CPU time (PostgreSQL) and report of one check."""
    from hutor.ledger import checks

    cpu = backend_cpu()
    started = time.perf_counter()
    report = checks.run(since=since)
    wall = time.perf_counter() - started
    after = backend_cpu()
    return wall, None if cpu is None or after is None else after - cpu, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hutor_bench_ledger"
    )
    parser.add_argument("--postings", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each check (best kept)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of an earlier run if it holds as many postings and accounts",
    )
    parser.add_argument(
        "--sqlite-dir", default=str(Path(tempfile.gettempdir()) / "hutor-bench-ledger")
    )
    parser.add_argument("--cpu", action="store_true", help="print the backend's CPU time too")
    parser.add_argument("--only", choices=["full", "since"], help="run one of the two checks")
    args = parser.parse_args()
    args.batch_size, args.server_side_binding = 1000, False  # for billing_run's helpers
    if open_database(args):
        started = time.perf_counter()
        build(args.postings, args.accounts)
        print(f"built {args.postings:,} postings in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reused the database of {args.postings:,} postings")

    from django.utils import timezone

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    checks = [("full", "full", None), ("since", f"--since {yesterday}", yesterday)]
    for name, label, since in checks:
        if args.only not in (None, name):
            continue
        runs = [timed(since) for _ in range(args.repeat)]
        seconds = min(run[0] for run in runs)
        report = runs[0][2]
        assert report.ok, report.violations
        checked = report.postings
        per = seconds / max(checked, 1) * 1e6
        print(
            f"{args.db} ledger check {label}: {seconds:.2f} s for {checked:,} postings "
            f"({per:.2f} µs/posting; runs: {', '.join(f'{r[0]:.2f}' for r in runs)}; "
            f"load {Path('/proc/loadavg').read_text().split()[0]})"
        )
        cpus = [run[1] for run in runs if run[1] is not None]
        if args.cpu and cpus:
            print(f"  backend CPU: {min(cpus):.2f} s (runs: {', '.join(f'{c:.2f}' for c in cpus)})")


if __name__ == "__main__":
    main()
