"""Benchmark of the customer's panel home page `/panel/` under load (not a timed test), for a
customer with a short history and for one with a long one, beside a hello-world view of the
same server measured in the same run.

    .venv/bin/python bench/panel_home.py --db sqlite [--accounts 100000] [--postings 1000000]
    .venv/bin/python bench/panel_home.py --db postgres \
        [--database-url postgres://postgres@127.0.0.1:5432/hutor_bench_home] [--big 50000]

Builds a fresh database (a temporary SQLite file, or the PostgreSQL database of the URL, dropped
and created again: never point it at a database you care about) with N customers as
bench/billing_run.py makes them (a balance from one top-up, a due hosting service), then adds
M postings with bulk SQL (`INSERT ... SELECT` from a series): top-ups of 10.00 and settlements of
1.00-9.00 spread over the customers, and `--big` entries more (default 50,000: as many postings
on one customer's balance, as many on clearing and revenue); the cached balances and totals
credited are set from the postings by one aggregate UPDATE each, then the tables are analyzed.
Two customers are logged in (a session each, made as Django's test client does). gunicorn
(`--workers`, default 2) serves the project with `/bench/hello/` added
(bench/api_bench_settings.py), and `wrk` (Debian's package) loads each case for `--seconds` at
`--connections` (default 16) with the session cookie:

    hello   GET /bench/hello/ (Django's request cycle, no database)
    short   GET /panel/ as the first customer (one top-up and about M/N postings)
    long    GET /panel/ as the customer with --big postings

It prints requests per second and p50/p95/p99 latency per case, and each case's p95 as a
multiple of hello-world's. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from api import LUA_DONE, free_port, run_wrk, serve, summary  # noqa: E402
from billing_run import populate, prepare_database  # noqa: E402

LUA = """
local cookie = "%(cookie)s"
request = function()
  return wrk.format("GET", "%(path)s", {["Cookie"] = cookie})
end
"""


def series(vendor: str) -> str:
    """A FROM-able subquery of the integers 0..%s-1 as column i (one parameter: the count)."""
    if vendor == "postgresql":
        return "(SELECT generate_series(0, %s - 1) AS i) s"
    return (
        "(WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < %s - 1) "
        "SELECT i FROM r) s"
    )


def add_history(postings: int, big: int) -> tuple[int, int]:
    """Spread `postings` over every customer and `big` entries (one posting each on its balance)
    on the last one; return the billing account ids of the first customer and of that one."""
    from django.db import connection, transaction

    from hutor.ledger.models import LedgerAccount

    customers = LedgerAccount.objects.filter(kind="customer").order_by("pk")
    first, last = customers.first(), customers.last()
    assert first is not None and last is not None
    n = customers.count()
    assert last.pk - first.pk + 1 == n, "customer ledger accounts are numbered in a row"
    clearing = LedgerAccount.objects.get(code="clearing:bench")
    revenue = LedgerAccount.objects.create(
        code="revenue:bench", kind="revenue", name="Revenue", currency="RUB"
    )
    vendor = connection.vendor
    money = "::numeric" if vendor == "postgresql" else ""
    now = connection.ops.adapt_datetimefield_value(first.billing_account.created_at)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry")
        (offset,) = cursor.fetchone()
        spread = f"{first.pk} + (s.i / 2) %% {n}"
        for count, customer in [(postings // 2, spread), (big, str(last.pk))]:
            # %% : these statements take parameters. Even entries top up 10.00 from clearing,
            # odd ones pay 1.00-9.00 to revenue: every balance stays positive.
            amount = f"CASE WHEN s.i %% 2 = 0 THEN 10{money} ELSE (1 + (s.i / 2) %% 9){money} END"
            cursor.execute(
                "INSERT INTO ledger_journalentry "  # noqa: S608
                "(id, created_at, kind, memo, reference, billing_account_id) "
                f"SELECT %s + s.i + 1, %s, CASE WHEN s.i %% 2 = 0 THEN 'top_up' "
                "ELSE 'settlement' END, '', '', NULL "
                f"FROM {series(vendor)}",
                [offset, now, count],
            )
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount, currency) "  # noqa: S608
                f"SELECT %s + s.i + 1, CASE WHEN s.i %% 2 = 0 THEN {clearing.pk} "
                f"ELSE {customer} END, -({amount}), 'RUB' FROM {series(vendor)} "
                f"UNION ALL SELECT %s + s.i + 1, CASE WHEN s.i %% 2 = 0 THEN {customer} "
                f"ELSE {revenue.pk} END, {amount}, 'RUB' FROM {series(vendor)}",
                [offset, count, offset, count],
            )
            offset += count
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
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('ledger_journalentry', 'id'), %s)", [offset]
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    return first.billing_account_id, last.billing_account_id  # type: ignore[return-value]


def session_cookie(billing_account_id: int, csrf: bool = False) -> tuple[str, str]:
    """(Cookie header value, the account's number) of a fresh login of that customer; with
    `csrf`, the CSRF cookie its first page set as well."""
    from django.conf import settings
    from django.test import Client

    from hutor.accounts.models import BillingAccount

    account = BillingAccount.objects.select_related("user").get(pk=billing_account_id)
    client = Client()
    client.force_login(account.user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={value}"
    if csrf:
        settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
        assert client.get("/panel/").status_code == 200
        cookie += f"; {settings.CSRF_COOKIE_NAME}={client.cookies[settings.CSRF_COOKIE_NAME].value}"
    return cookie, account.number


def load(port: int, path: str, cookie: str, args: argparse.Namespace) -> dict[str, float]:
    script = LUA % {"cookie": cookie, "path": path} + LUA_DONE
    output, _ = run_wrk(f"http://127.0.0.1:{port}", script, args, seconds=args.seconds)
    return summary(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hutor_bench_home"
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--server-side-binding",
        action="store_true",
        help="PostgreSQL: prepared statements (bound parameters, repeated statements prepared); "
        "the settings' default since 2 Dec 2026, so this flag changes nothing now",
    )
    parser.add_argument(
        "--no-prepared-statements",
        action="store_true",
        help="PostgreSQL: DATABASE_PREPARED_STATEMENTS=0 for the server (client-side binding)",
    )
    parser.add_argument(
        "--csrf-cookie",
        action="store_true",
        help="send the CSRF cookie too, as a browser that has loaded a page does",
    )
    args = parser.parse_args()
    args.batch_size = 1000  # for billing_run's helpers
    if shutil.which("wrk") is None:
        raise SystemExit("bench/panel_home.py needs wrk: apt-get install wrk")

    started = time.perf_counter()
    prepare_database(args)
    populate(args.accounts)
    short_id, long_id = add_history(args.postings, args.big)
    cookies = {
        "short": session_cookie(short_id, args.csrf_cookie),
        "long": session_cookie(long_id, args.csrf_cookie),
    }
    from django.db import connections

    from hutor.ledger.models import Posting

    total = Posting.objects.count()
    long_postings = Posting.objects.filter(account__billing_account_id=long_id).count()
    connections.close_all()
    print(
        f"built {args.accounts:,} accounts, {total:,} postings ({long_postings:,} on the long "
        f"history) in {time.perf_counter() - started:.0f} s"
    )

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "api_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "",
        "DATABASE_PREPARED_STATEMENTS": "0" if args.no_prepared_statements else "1",
    }
    port = free_port()
    server = serve(port, args.workers, env)
    results: dict[str, dict[str, float]] = {}
    try:
        for name, (cookie, number) in cookies.items():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/panel/", headers={"Cookie": cookie}
            )
            with urllib.request.urlopen(request, timeout=30) as page:  # noqa: S310
                assert number in page.read().decode(), f"{name}: not the customer's home page"
        results["hello"] = load(port, "/bench/hello/", "", args)
        for name, (cookie, _number) in cookies.items():
            results[name] = load(port, "/panel/", cookie, args)
    finally:
        server.terminate()
        server.wait(timeout=30)

    hello = results["hello"]["p95"]
    print(
        f"\n{args.db}: gunicorn {args.workers} workers, wrk {args.threads} threads x "
        f"{args.connections} connections, {args.seconds} s a case"
    )
    columns = ("req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "p95/hello")
    print(f"{'case':8} " + " ".join(f"{c:>9}" for c in columns))
    for name, r in results.items():
        print(
            f"{name:8} {r['rps']:9.0f} {r['p50']:9.1f} {r['p95']:9.1f} {r['p99']:9.1f} "
            f"{r['errors']:9.0f} {r['p95'] / hello:9.1f}"
        )
    print(json.dumps({"load": os.getloadavg()}))


if __name__ == "__main__":
    main()
