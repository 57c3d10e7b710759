"""Benchmark of the daily billing run's renewal path (not a timed test).

    .venv/bin/python bench/billing_run.py --services 100000 --db sqlite
    .venv/bin/python bench/billing_run.py --services 100000 --db postgres \
        [--database-url postgres://postgres@127.0.0.1:5432/hutor_bench]

Builds a fresh database (a temporary SQLite file, or the PostgreSQL database of the URL, dropped
and created again: never point it at a database you care about) with N customers, each with one
hosting service due for renewal and a balance that covers it (bulk inserts), then runs
`hutor billing run` end to end: N renewal invoices numbered, settled from the balance (journal
entries and postings, balances updated), services extended, invoice emails queued. It prints
renewals per second, then measures the database's own ceiling on the same database: the same
renewals written set-based (bench/billing_ceiling.py: a temporary table of the batch's due
services, INSERT ... SELECT into every table the run writes, balances from an aggregate; same
batch size, one transaction per batch) and prints the run's figure as a ratio of it
(`--row-ceiling` adds the older row-by-row executemany ceiling). Figures go to
docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DAY = dt.date(2027, 3, 1)
PRICE = Decimal("199.00")


def prepare_database(args: argparse.Namespace) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "hutor.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["HUTOR_BILLING_BATCH_SIZE"] = str(args.batch_size)
    if args.db == "sqlite":
        folder = getattr(args, "var_dir", None) or tempfile.mkdtemp(prefix="hutor-bench-")
        os.environ["HUTOR_VAR_DIR"] = folder
        os.environ.pop("DATABASE_URL", None)
    else:
        import psycopg

        url = args.database_url
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    if args.db == "postgres" and args.server_side_binding:
        connections["default"].settings_dict.setdefault("OPTIONS", {})["server_side_binding"] = True

    call_command("migrate", verbosity=0)


def populate(n: int) -> None:
    """N customers with a balance of 1000.00 (one top-up entry each) and one due service."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from hutor.accounts import numbers
    from hutor.accounts.models import BillingAccount
    from hutor.catalog.models import ServiceType, Tariff, TariffPrice
    from hutor.core import clock
    from hutor.core.models import Provider, Sequence
    from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount, Posting
    from hutor.services.models import Service, ServiceStatus

    User = get_user_model()
    now = clock.now()
    chunk = 5000
    with transaction.atomic():
        Provider.objects.create(
            pk=1,
            legal_name="ООО «Бенчмарк»",
            short_name="Бенчмарк",
            inn="7707083893",
            kpp="773601001",
            address="Москва",
            bank_name="ПАО Сбербанк",
            bik="044525225",
            correspondent_account="30101810400000000225",
            settlement_account="40702810938000000001",
        )
        hosting = ServiceType.objects.create(code="hosting", name_ru="Хостинг", name_en="Hosting")
        tariff = Tariff.objects.create(
            service_type=hosting, code="start", name_ru="Старт", name_en="Start"
        )
        TariffPrice.objects.create(tariff=tariff, period_months=1, price=PRICE)
        clearing = LedgerAccount.objects.create(
            code="clearing:bench", kind="clearing", name="Clearing", currency="RUB"
        )
        first = numbers.FIRST_SEQUENCE_VALUE
        Sequence.objects.create(name=numbers.SEQUENCE_NAME, next_value=first + n)
    for start in range(0, n, chunk):
        ids = range(start, min(start + chunk, n))
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(email=f"c{i}@bench.example", password="!", date_joined=now) for i in ids
            )
            accounts = BillingAccount.objects.bulk_create(
                BillingAccount(
                    number=numbers.from_sequence(first + i),
                    user=user,
                    contact_email=user.email,
                    name=f"Customer {i}",
                    currency="RUB",
                    created_at=now,
                )
                for i, user in zip(ids, users, strict=True)
            )
            balances = LedgerAccount.objects.bulk_create(
                LedgerAccount(
                    code=f"customer:{account.number}",
                    kind="customer",
                    name=f"Balance of {account.number}",
                    currency="RUB",
                    billing_account=account,
                    balance=Decimal("1000.00"),
                    credited=Decimal("1000.00"),  # the top-up below
                    min_balance=Decimal(0),
                )
                for account in accounts
            )
            entries = JournalEntry.objects.bulk_create(
                JournalEntry(
                    created_at=now,
                    kind=EntryKind.TOP_UP,
                    reference=f"T{account.number}",
                    billing_account=account,
                )
                for account in accounts
            )
            Posting.objects.bulk_create(
                posting
                for entry, balance in zip(entries, balances, strict=True)
                for posting in (
                    Posting(
                        entry=entry, account=clearing, amount=Decimal("-1000.00"), currency="RUB"
                    ),
                    Posting(
                        entry=entry, account=balance, amount=Decimal("1000.00"), currency="RUB"
                    ),
                )
            )
            Service.objects.bulk_create(
                Service(
                    billing_account=account,
                    service_type=hosting,
                    tariff=tariff,
                    period_months=1,
                    identifier=f"site{i}.example.ru",
                    status=ServiceStatus.ACTIVE,
                    paid_until=DAY + dt.timedelta(days=i % 7),
                    provisioning_module="log",
                    created_at=now,
                    activated_at=now,
                )
                for i, account in zip(ids, accounts, strict=True)
            )
    LedgerAccount.objects.filter(pk=clearing.pk).update(balance=Decimal("-1000.00") * n)


def ceiling(n: int, batch: int) -> float:
    """The same rows as the renewal step writes, by hand-written SQL with executemany, one
    transaction per batch: the database's own speed for this work, with every index and
    constraint of the real tables. Returns seconds."""
    from django.db import connection, transaction

    from hutor.ledger.models import LedgerAccount
    from hutor.services.models import Service

    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM invoices_invoice")
        invoice_base = (cursor.fetchone()[0] or 0) + 1
        cursor.execute("SELECT MAX(id) FROM ledger_journalentry")
        entry_base = (cursor.fetchone()[0] or 0) + 1
    services = list(
        Service.objects.order_by("pk").values_list("pk", "billing_account_id", "paid_until")
    )[:n]
    customer = dict(
        LedgerAccount.objects.filter(kind="customer").values_list("billing_account_id", "pk")
    )
    balance = dict(LedgerAccount.objects.values_list("pk", "balance"))
    revenue = LedgerAccount.objects.get(code="revenue:hosting").pk
    now = dt.datetime.now(dt.UTC)
    provider = json.dumps({"legal_name": "ООО «Бенчмарк»", "inn": "7707083893"})
    payer = json.dumps({"number": "1000002", "name": "Customer", "email": "c@bench.example"})
    if connection.vendor == "sqlite":
        now_value: object = now.isoformat(sep=" ")
        day: object = DAY.isoformat()
    else:
        now_value, day = now, DAY
    began = time.monotonic()
    for start in range(0, len(services), batch):
        part = services[start : start + batch]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_sequence SET next_value = next_value + %s WHERE name = %s",
                [len(part), f"invoice-{DAY.year}"],
            )
            entries, postings, invoices, lines, renewals, emails, svc, bal = (
                [],
                [],
                [],
                [],
                [],
                [],
                [],
                [],
            )
            for k, (service_id, account_id, _paid_until) in enumerate(part, start=start):
                number = f"B-{k:07d}"
                entry_id, invoice_id = entry_base + k, invoice_base + k
                la = customer[account_id]
                entries.append(
                    (
                        entry_id,
                        now_value,
                        "settlement",
                        f"Invoice {number}",
                        number,
                        account_id,
                        f"bench:{number}",
                    )
                )
                postings.append((entry_id, la, Decimal("-199.00"), "RUB"))
                postings.append((entry_id, revenue, PRICE, "RUB"))
                invoices.append(
                    (
                        invoice_id,
                        number,
                        account_id,
                        "renewal",
                        "paid",
                        "RUB",
                        PRICE,
                        now_value,
                        day,
                        day,
                        now_value,
                        entry_id,
                        payer,
                        provider,
                        "ru",
                    )
                )
                lines.append(
                    (
                        invoice_id,
                        1,
                        "period",
                        service_id,
                        "hosting",
                        "start",
                        "Хостинг «Старт», 1 месяц, site.example.ru (01.03.2027–01.04.2027)",
                        "Hosting “Start”, 1 month, site.example.ru (03/01/2027–04/01/2027)",
                        day,
                        day,
                        1,
                        PRICE,
                    )
                )
                renewals.append((service_id, "2099-01-01", invoice_id, now_value))
                emails.append(
                    (
                        f"bench:{number}",
                        "invoice_issued",
                        "c@bench.example",
                        "ru",
                        json.dumps({"invoice": number}),
                        account_id,
                        "pending",
                        0,
                        now_value,
                        "",
                        "",
                        now_value,
                    )
                )
                svc.append((day, "active", 1, service_id))
                bal.append((balance[la], la))
            cursor.executemany(
                "INSERT INTO ledger_journalentry (id, created_at, kind, memo, reference, "
                "billing_account_id, idempotency_key) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                entries,
            )
            cursor.executemany(
                "INSERT INTO ledger_posting (entry_id, account_id, amount, currency) "
                "VALUES (%s, %s, %s, %s)",
                postings,
            )
            cursor.executemany(
                "INSERT INTO invoices_invoice (id, number, billing_account_id, kind, status, "
                "currency, total, issued_at, issue_date, due_date, paid_at, settlement_entry_id, "
                "payer, provider, language, tax_regime) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '')",
                invoices,
            )
            cursor.executemany(
                "INSERT INTO invoices_invoiceline (invoice_id, position, kind, service_id, "
                "service_type_code, tariff_code, description_ru, description_en, period_start, "
                "period_end, period_months, amount, quantity) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)",
                lines,
            )
            cursor.executemany(
                "INSERT INTO billing_renewal (service_id, period_start, invoice_id, created_at) "
                "VALUES (%s, %s, %s, %s)",
                renewals,
            )
            cursor.executemany(
                "INSERT INTO notifications_outboxemail (key, template, to_email, language, "
                "params, billing_account_id, status, attempts, next_attempt_at, last_error, "
                "subject, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                emails,
            )
            cursor.executemany(
                f"UPDATE {q('services_service')} SET paid_until = %s, status = %s, "  # noqa: S608
                "period_months = %s WHERE id = %s",
                svc,
            )
            cursor.executemany(
                f"UPDATE {q('ledger_ledgeraccount')} SET balance = %s WHERE id = %s",  # noqa: S608
                bal,
            )
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hutor_bench")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--jobs",
        type=int,
        help="processes of the renewal step (default: the run's, 2 on PostgreSQL, 1 on SQLite); "
        "each is a `hutor billing run --shard K/N` subprocess with this environment",
    )
    parser.add_argument(
        "--server-side-binding",
        action="store_true",
        help="PostgreSQL: bind parameters on the server (OPTIONS server_side_binding; in this "
        "process only, not in the renewal step's shard processes: use --jobs 1 with it)",
    )
    parser.add_argument("--check", action="store_true", help="run `hutor ledger check` after")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the SQL ceilings")
    parser.add_argument(
        "--row-ceiling",
        action="store_true",
        help="also the row-by-row ceiling (executemany; 8 of the 10 rows a renewal)",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the run; top functions to FILE")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

    prepare_database(args)
    began = time.monotonic()
    populate(args.services)
    print(f"fixtures: {args.services} customers and services in {time.monotonic() - began:.1f} s")

    from hutor.billing.run import run_billing

    step_times: dict[str, float] = {}
    mark = [time.monotonic()]

    def on_step(step, report):  # type: ignore[no-untyped-def]
        now = time.monotonic()
        step_times[step.name] = now - mark[0]
        mark[0] = now

    profiler = cProfile.Profile() if args.profile else None
    began = time.monotonic()
    mark[0] = began
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    run = run_billing(date=DAY, on_step=on_step, jobs=args.jobs)
    if profiler:
        profiler.disable()
    elapsed = time.monotonic() - began
    cpu = time.process_time() - cpu
    renewals = run.counts.get("renewals", {})
    assert run.status == "done" and run.error_count == 0, run.errors
    assert renewals.get("issued") == renewals.get("paid") == args.services, renewals
    rate = args.services / elapsed
    print(
        f"billing run ({args.db}, batch {args.batch_size}, jobs {args.jobs or 'default'}): "
        f"{args.services} renewals in "
        f"{elapsed:.1f} s = {rate:,.0f} renewals/s "
        f"(renewal step {step_times.get('renewals', 0):.1f} s; CPU of this process "
        f"{cpu:.1f} s{', profiled' if profiler else ''}, load {os.getloadavg()[0]:.2f})"
    )
    print("steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in step_times.items()))
    if profiler:
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        # The load-independent figures: Python calls in all, and model instances built.
        inits = sum(
            calls
            for (path, _line, name), (_cc, calls, *_rest) in stats.stats.items()  # type: ignore[attr-defined]
            if name == "__init__" and path.endswith("django/db/models/base.py")
        )
        stream.write(f"Model.__init__ calls: {inits}\n")
        stats.sort_stats("cumulative").print_stats(40)
        stream.write("\n")
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(30)
        Path(args.profile).write_text(stream.getvalue())
        stats.dump_stats(f"{args.profile}.prof")  # for pstats: callers, call counts
        print(f"profile: {args.profile}")
    if args.check:
        from hutor.ledger import checks

        began = time.monotonic()
        report = checks.run()
        print(
            f"ledger check: {'ok' if report.ok else report.violations} in "
            f"{time.monotonic() - began:.1f} s"
        )

    if args.no_ceiling:
        return
    from billing_ceiling import RENEWAL_ROWS, set_based

    ceiling_cpu = time.process_time()
    seconds = set_based(args.services, args.batch_size, price=PRICE, year=DAY.year)
    ceiling_cpu = time.process_time() - ceiling_cpu
    ceiling_rate = args.services / seconds
    print(
        f"set-based ceiling (temporary table, INSERT ... SELECT, {RENEWAL_ROWS} rows a renewal): "
        f"{args.services} in {seconds:.1f} s = {ceiling_rate:,.0f}/s (CPU of this process "
        f"{ceiling_cpu:.1f} s, load {os.getloadavg()[0]:.2f}); "
        f"the billing run is {rate / ceiling_rate:.3f}x of it"
    )
    if not args.row_ceiling:
        return
    seconds = ceiling(args.services, args.batch_size)
    ceiling_rate = args.services / seconds
    print(
        f"row ceiling (hand-written SQL, executemany): {args.services} in {seconds:.1f} s "
        f"= {ceiling_rate:,.0f}/s; the billing run is {rate / ceiling_rate:.3f}x of it"
    )


if __name__ == "__main__":
    main()
