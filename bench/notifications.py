"""Benchmark of verified payment notifications over HTTP (not a timed test), beside a Django
hello-world of the same server measured right after it.

    .venv/bin/python bench/notifications.py --db sqlite [--payments 2000] [--accounts 200]
    .venv/bin/python bench/notifications.py --db postgres \
        [--database-url postgres://postgres@127.0.0.1:5432/hutor_bench_notify]

Builds a fresh database (a temporary SQLite file, or the PostgreSQL database of the URL, dropped
and created again: never point it at a database you care about) with `--accounts` customers (as
bench/billing_run.py makes them: the provider's requisites, each customer's ledger balance) and
the demo payment method, starts N pending top-ups (`start_top_up`), and signs each one's "paid"
notification as the demo service does. Every notification goes into the request list 3 times
(`--deliveries`), shuffled, and gunicorn (`--workers`, default 2, the project's settings,
`DATABASE_CONN_MAX_AGE` as given) is loaded with `wrk` (Debian's package, a C client that does
not take the Python server's cores): a Lua script reads the request list and each wrk thread
sends its share, every line once, over `--connections` connections, then stops.

It prints unique credits per second (N over the run's duration), notifications answered per
second, latency percentiles, then hello-world's requests per second under the same gunicorn and
wrk for `--seconds`, and the ratio. It then verifies exactly once: every answer 200, every
payment succeeded with one journal entry, as many top-up entries as payments, each customer's
balance the sum of its payments, and `hutor ledger check` clean.

It also prints the CPU a payment (its three deliveries) and a hello-world request cost the
server's processes, the database's backends (PostgreSQL) and wrk. `--hold` times, in the
workers, each credit's hold of the ledger's lock (what makes credits go one after another);
`--profile-server DIR` profiles the workers' request threads (bench/gunicorn_probe.py).

`--profile K` afterwards credits K more notifications in this process through Django's handler
(the test client: middleware, view, gateway, credit; one kept connection, no HTTP) under
cProfile, and prints where the time goes. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from api import LUA_DONE, free_port, result_line, run_wrk, summary  # noqa: E402
from billing_run import populate, prepare_database  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402

SECRET = "bench-secret"
PATH = "/pay/demo/result/"

LUA = """
local list, path = "%(list)s", "%(path)s"
local nthreads = %(threads)d
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
-- Each thread (its own Lua state) reads the request list and keeps lines id+1, id+1+T, ...
function init(args)
  mine, n, sent, answered, bad, idle = {}, 0, 0, 0, 0, 0
  local k = 0
  for line in io.lines(list) do
    if k %% nthreads == id then n = n + 1; mine[n] = line end
    k = k + 1
  end
  headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  -- wrk 4.1 calls the first thread's request() once before the run to check what it returns
  -- (script_verify_request) and never sends that request: it must not take a line.
  checked = id ~= 0
end
function request()
  if not checked then
    checked = true
    return wrk.format("GET", "/bench/hello/")
  end
  sent = sent + 1
  if sent > n then return wrk.format("GET", "/bench/hello/") end  -- idle connections' filler
  return wrk.format("POST", path, headers, mine[sent])
end
-- Once each line is answered the thread writes its counts and ends wrk (os.exit: wrk 4.1's
-- thread:stop() does not end the run before -d); the caller times the run from outside.
-- A line the connection lost is given up after 2000 fillers answered since the last answer.
local function finish()
  io.write(string.format("RESULT %%d %%d\\n", answered, bad))
  io.stdout:flush()
  os.exit(0)
end
function response(status, headers, body)
  if body == "Hello, world" then
    idle = idle + 1
    if idle > 2000 then finish() end
    return
  end
  answered, idle = answered + 1, 0
  if status ~= 200 then bad = bad + 1 end
  if answered >= n then finish() end
end
"""

HELLO_LUA = LUA_DONE


def server_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *map(int, children)]


def database_pids(args: argparse.Namespace) -> list[int]:
    """PostgreSQL's backends connected to the bench's database (none for SQLite)."""
    if args.db != "postgres":
        return []
    name = f" {urlsplit(args.database_url).path.lstrip('/')} "
    pids = []
    for folder in Path("/proc").iterdir():
        if folder.name.isdigit():
            try:
                command = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if command.startswith("postgres: ") and name in command:
                pids.append(int(folder.name))
    return pids


def wrk(
    port: int, script: str, *, seconds: int, args: argparse.Namespace, server: int
) -> dict[str, float]:
    """One wrk run, with the CPU seconds the server's processes, the database's backends and
    wrk itself used during it: what a request costs in all, on a machine with 2 cores."""
    url = f"http://127.0.0.1:{port}" + ("/bench/hello/" if script is HELLO_LUA else "")
    pids = server_pids(server)
    backends = database_pids(args)
    before = (
        cpu_seconds(*pids),
        cpu_seconds(*backends),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    output, elapsed = run_wrk(url, script, args, seconds=seconds, options=("--timeout", "30s"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {
        "cpu_server": cpu_seconds(*pids) - before[0],
        "cpu_database": cpu_seconds(
            *backends + [p for p in database_pids(args) if p not in backends]
        )
        - before[1],
        "cpu_wrk": after.ru_utime + after.ru_stime - before[2].ru_utime - before[2].ru_stime,
    }
    if script is HELLO_LUA:
        hello = summary(output)
        return {**hello, **cpu, "answered": hello["requests"]}
    answered, errors = result_line(output)  # the notifications' script: counts, timed here
    return {
        **cpu,
        "answered": answered,
        "errors": errors,
        "seconds": elapsed,
        "rps": answered / elapsed,
    }


def cpu_line(label: str, result: dict[str, float], per: float) -> str:
    parts = [
        f"{name} {result['cpu_' + name] / per * 1000:.2f} ms"
        for name in ("server", "database", "wrk")
    ]
    return f"CPU per {label}: " + ", ".join(parts)


def serve(
    port: int, workers: int, env: dict[str, str], log: Path, threads: int = 1
) -> subprocess.Popen[bytes]:
    """gunicorn as bench/api.py starts it, its log to a file (a pipe nobody reads fills up
    and stops the workers)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            str(gunicorn),
            "hutor.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            # gthread, one thread by default: one request at a time per worker, but a kept-alive
            # connection that is silent (wrk's, between requests) does not hold the worker.
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            *(["-c", str(BENCH / "gunicorn_probe.py")] if "BENCH_PROBE_DIR" in env else []),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + 120  # a loaded machine boots the workers slowly
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello/", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not answer: see {log}")


def pending_payments(n: int, seed: int) -> list[tuple[str, int, Decimal]]:
    """The demo method and N pending top-ups over the customers: (number, account id, amount)."""
    from hutor.accounts.models import BillingAccount
    from hutor.core.money import Money
    from hutor.ledger import actions as ledger
    from hutor.payments.actions import start_top_up
    from hutor.payments.models import Gateway, PaymentMethod

    method, _new = PaymentMethod.objects.get_or_create(
        slug="demo",
        defaults={
            "gateway": Gateway.DEMO,
            "name_ru": "Демо",
            "name_en": "Demo",
            "settings": {"secret": SECRET},
            "is_test_mode": True,
        },
    )
    ledger.clearing_account("demo", "RUB")  # made by the first credit ever: not measured
    accounts = list(BillingAccount.objects.order_by("pk"))
    rng = random.Random(seed)  # noqa: S311 (amounts, not secrets)
    made = []
    for k in range(n):
        account = accounts[k % len(accounts)]
        amount = Money(f"{rng.randint(100, 5000)}.{rng.randint(0, 99):02d}")
        payment = start_top_up(billing_account=account, method=method, amount=amount)
        made.append((payment.number, account.pk, payment.amount))
    return made


def body(number: str, amount: Decimal) -> str:
    from hutor.payments.gateways import demo

    data = {
        "payment": number,
        "amount": f"{amount:.2f}",
        "currency": "RUB",
        "transaction": f"T{number}",
        "status": "paid",
    }
    data["signature"] = demo.sign(SECRET, data)
    return urlencode(data)


def verify(payments: list[tuple[str, int, Decimal]], result: dict[str, float]) -> None:
    """Exactly once: each payment credited by one entry, balances the sums, ledger check clean."""
    from django.core.management import call_command
    from django.db.models import Count

    from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount
    from hutor.payments.models import Payment, PaymentStatus

    numbers = [number for number, _account, _amount in payments]
    succeeded = Payment.objects.filter(number__in=numbers, status=PaymentStatus.SUCCEEDED)
    entries = JournalEntry.objects.filter(kind=EntryKind.TOP_UP, reference__in=numbers)
    twice = entries.values("reference").annotate(n=Count("id")).filter(n__gt=1).count()
    print(
        f"\nverify: {succeeded.count()} of {len(numbers)} payments succeeded, "
        f"{entries.count()} top-up entries ({twice} payments with more than one), "
        f"{result['errors']:.0f} answers other than 200"
    )
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for _number, account, amount in payments:
        expected[account] += amount
    balances = dict(
        LedgerAccount.objects.filter(billing_account_id__in=expected).values_list(
            "billing_account_id", "balance"
        )
    )
    # populate() gave every customer 1000.00 before the top-ups.
    wrong = [a for a, total in expected.items() if balances.get(a) != total + Decimal("1000.00")]
    assert succeeded.count() == len(numbers), "a payment was not credited"
    assert entries.count() == len(numbers) and twice == 0, "a payment was credited twice"
    assert not wrong, f"balances differ from the payments for {len(wrong)} customers"
    assert result["errors"] == 0, "a notification was not answered 200"
    call_command("ledger", "check")


def profile(k: int, seed: int) -> None:
    """K credits through Django's handler in this process, timed (ms a credit, then ms a replay
    of each), then K more under cProfile: where the time goes."""
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    payments = pending_payments(2 * k + 1, seed + 1)
    bodies = [body(number, amount) for number, _account, amount in payments]
    ctype = "application/x-www-form-urlencoded"
    client.post(PATH, bodies.pop(), content_type=ctype)  # imports the URLconf: not measured
    timed, profiled = bodies[:k], bodies[k:]
    for label, sample in (("credit", timed), ("replay", timed)):
        started, cpu = time.perf_counter(), time.process_time()
        for data in sample:
            answer = client.post(PATH, data, content_type=ctype)
            assert answer.status_code == 200, answer.content
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"\nin-process, no profiler: {elapsed / k * 1000:.2f} ms a {label} ({k} of them), "
            f"of which this process's CPU {cpu / k * 1000:.2f} ms"
        )
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for data in profiled:
        answer = client.post(PATH, data, content_type=ctype)
        assert answer.status_code == 200, answer.content
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(
        f"\nprofile: {k} credits in {elapsed:.2f} s in-process ({k / elapsed:.0f}/s, cProfile on)"
    )
    stats = pstats.Stats(profiler)
    # Counted, not timed: the same on a loaded machine, so code before and after compare.
    calls = stats.total_calls  # type: ignore[attr-defined]
    print(f"Python function calls a credit: {calls / k:.0f}")
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        groups[group_of(filename, name)] += row[2]
    print("own time by where it is spent:")
    for name, seconds in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {name:44} {seconds / k * 1000:7.3f} ms a credit  {seconds / total:6.1%}")
    other = sorted(
        (
            (row[2], f"{Path(filename).name}:{name}")
            for (filename, _line, name), row in stats.stats.items()  # type: ignore[attr-defined]
            if group_of(filename, name).startswith("Python, other")
        ),
        reverse=True,
    )
    print("Python, other: the largest own times")
    for seconds, where in other[:12]:
        print(f"  {where[:60]:60} {seconds / k * 1000:7.3f} ms a credit")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats("hutor/", 30)
    print(out.getvalue())


def profile_only(args: argparse.Namespace) -> None:
    """--profile without the HTTP run: a fresh database, the customers, then profile()."""
    from cryptography.fernet import Fernet

    os.environ["HUTOR_DEMO_PAYMENTS"] = "1"
    os.environ.setdefault("HUTOR_SECRETS_KEY", Fernet.generate_key().decode())
    prepare_database(args)
    populate(args.accounts)
    profile(args.profile, seed=18)


def group_of(filename: str, name: str) -> str:
    if "sqlite3" in name or "psycopg" in filename or "method 'execute" in name:
        return "database driver (waiting for the database)"
    if "CursorWrapper.execute" in name:  # Django's SQLite wrapper around sqlite3's execute
        return "database driver (waiting for the database)"
    if "{method 'commit'" in name or name == "commit":
        return "database driver (waiting for the database)"
    for part, label in (
        ("django/db/models/sql", "Django ORM: compiling SQL"),
        ("django/db/models", "Django ORM: models, querysets"),
        ("django/db/backends", "Django database layer"),
        ("django/db/transaction", "Django database layer"),
        ("django/test", "test client (not in a real request)"),
        ("django/core/handlers", "Django request cycle, middleware"),
        ("django/middleware", "Django request cycle, middleware"),
        ("django/contrib", "Django request cycle, middleware"),
        ("django/http", "Django request cycle, middleware"),
        ("django/", "Django, other"),
        ("hutor/", "Hutor's own code"),
        ("json", "JSON"),
    ):
        if part in filename:
            return label
    return "Python, other (stdlib, logging, hmac)"


def print_hold(folder: Path) -> None:
    """What bench/gunicorn_probe.py's --hold measured in the workers, per credit."""
    total: dict[str, float] = {}
    for path in folder.glob("hold-*.json"):
        for key, value in json.loads(path.read_text()).items():
            total[key] = total.get(key, 0) + value
    if not total.get("credits"):
        return
    n = total["credits"] or 1
    print(
        f"the ledger's lock held per credit (its lock of the accounts to the commit's end): "
        f"{total['held'] / n * 1000:.2f} ms, of which the commit {total['commit'] / n * 1000:.2f}"
        f" ms; waited for {total['lock_wait'] / n * 1000:.2f} ms; {total['credits']} credits: "
        f"at most {1000 / max(total['held'] / n * 1000, 1e-9):.0f} credits/s one after another"
    )
    last = total.get("last_credits", 0)
    if last:
        print(
            f"the clearing account written last (ledger.deferred): its UPDATE "
            f"{total['last_write'] / last * 1000:.2f} ms (the wait for the row and the write), "
            f"then held to the commit's end {total['last_held'] / last * 1000:.2f} ms; "
            f"{last:.0f} credits: at most "
            f"{1000 / max(total['last_held'] / last * 1000, 1e-9):.0f} credits/s one after another"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hutor_bench_notify"
    )
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    # One wrk thread: a thread that has sent its share stops, and its connections, left open
    # and silent, would hold gunicorn's sync workers until their timeout.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    # More than one: a request's Python runs while another's commit waits for the disk's fsync.
    parser.add_argument("--server-threads", type=int, default=1, help="gunicorn's per worker")
    parser.add_argument("--seconds", type=int, default=10, help="hello-world's run")
    parser.add_argument("--conn-max-age", default=None, help="DATABASE_CONN_MAX_AGE (default 60)")
    parser.add_argument("--profile", type=int, default=0, metavar="K")
    parser.add_argument("--profile-only", action="store_true", help="no HTTP run")
    parser.add_argument(
        "--hold",
        action="store_true",
        help="time each credit's hold of the ledger's lock in the workers (gunicorn_probe.py)",
    )
    parser.add_argument(
        "--profile-server",
        metavar="DIR",
        help="cProfile in gunicorn's workers (bench/gunicorn_probe.py), stats to DIR",
    )
    args = parser.parse_args()
    args.batch_size, args.server_side_binding = 1000, False  # for billing_run's helpers
    if args.profile_only:
        profile_only(args)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("bench/notifications.py needs wrk: apt-get install wrk")
    probe = Path(args.profile_server or tempfile.mkdtemp(prefix="hutor-probe-")).resolve()
    if args.hold or args.profile_server:
        os.environ["BENCH_PROBE_DIR"] = str(probe)
        os.environ["BENCH_PROBE_HOLD"] = "1" if args.hold else ""
        os.environ["BENCH_PROBE_PROFILE"] = "1" if args.profile_server else ""
    if args.conn_max_age is not None:
        os.environ["DATABASE_CONN_MAX_AGE"] = args.conn_max_age
    os.environ["HUTOR_DEMO_PAYMENTS"] = "1"
    from cryptography.fernet import Fernet

    # The method's settings are stored encrypted (core.secrets): a key for this run.
    os.environ.setdefault("HUTOR_SECRETS_KEY", Fernet.generate_key().decode())
    prepare_database(args)
    populate(args.accounts)
    payments = pending_payments(args.payments, seed=18)
    lines = [body(number, amount) for number, _account, amount in payments] * args.deliveries
    random.Random(18).shuffle(lines)  # noqa: S311
    folder = Path(tempfile.mkdtemp(prefix="hutor-notify-"))
    (folder / "requests.txt").write_text("\n".join(lines) + "\n")
    from django.db import connections

    connections.close_all()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "api_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "",
    }
    port = free_port()
    server = serve(port, args.workers, env, folder / "gunicorn.log", args.server_threads)
    script = LUA % {"list": folder / "requests.txt", "path": PATH, "threads": args.threads}
    try:
        result = wrk(
            port,
            script,
            seconds=int(os.environ.get("BENCH_MAX_SECONDS", "600")),
            args=args,
            server=server.pid,
        )
        hello = wrk(port, HELLO_LUA, seconds=args.seconds, args=args, server=server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    credits = args.payments / result["seconds"]
    print(
        f"\n{args.db}: {args.payments} payments x {args.deliveries} deliveries over "
        f"{args.accounts} customers; gunicorn {args.workers} workers x {args.server_threads} "
        f"threads, wrk {args.threads} "
        f"threads x {args.connections} connections; "
        f"DATABASE_CONN_MAX_AGE={os.environ.get('DATABASE_CONN_MAX_AGE', '60 (default)')}"
    )
    print(
        f"notifications: {result['answered']:.0f} answered in {result['seconds']:.2f} s "
        f"(wrk's start to its last answer): {result['rps']:.0f}/s"
    )
    lost = args.payments * args.deliveries - result["answered"]
    print(f"unique credits: {credits:.0f}/s; deliveries sent but not answered (wrk): {lost:.0f}")
    print(
        f"hello-world: {hello['rps']:.0f} req/s, p95 {hello['p95']:.1f} ms; "
        f"credits/s of hello's req/s: {credits / hello['rps']:.3f}; "
        f"notifications/s of it: {result['rps'] / hello['rps']:.3f}"
    )
    print(cpu_line("payment (a credit and its replays)", result, args.payments))
    print(cpu_line("hello-world request", hello, hello["answered"]))
    if args.hold:
        print_hold(probe)
    verify(payments, result)
    print("exactly once: yes; ledger check: clean")
    if args.profile:
        profile(args.profile, seed=18)


if __name__ == "__main__":
    main()
