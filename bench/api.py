"""Benchmark of the JSON API under load (not a timed test): reads and an authenticated write,
beside a hello-world view of the same server measured in the same run.

    .venv/bin/python bench/api.py --db sqlite [--accounts 2000] [--seconds 10]
    .venv/bin/python bench/api.py --db postgres \
        [--database-url postgres://postgres@127.0.0.1:5432/hutor_bench]

Builds a fresh database (a temporary SQLite file, or the PostgreSQL database of the URL, dropped
and created again: never point it at a database you care about) with N customers (each with a
balance and a due hosting service, as bench/billing_run.py makes them), an accountant's staff
token and one customer's token; starts gunicorn (`--workers`, default 2) on a free port with the
project's settings plus one plain Django view, `/bench/hello/`; and loads it with `wrk` (Debian's
package; a C load generator, so the client does not take the Python server's cores) for
`--seconds` per case at `--connections` (default 16):

    hello            GET /bench/hello/ (Django's request cycle, no database)
    catalog          GET /api/v1/catalog/tariffs (public, no token)
    account          GET /api/v1/accounts/{number} with the staff token (a random customer)
    statement        GET /api/v1/accounts/{number}/statement with the customer's own token
    adjust (write)   POST /api/v1/accounts/{number}/balance/adjustments, a 1.00 credit with a
                     reason and a fresh Idempotency-Key each (a ledger entry, an audit entry,
                     the key's row), to a random customer

It prints requests per second, p50/p95/p99 latency and non-2xx answers per case, and each
case's rate as a share of hello-world's. The API's per-token rate limits are turned off for the
run (HUTOR_API_REQUESTS_PER_MINUTE=0, HUTOR_API_WRITES_PER_MINUTE=0). After the write case the
ledger is checked (`hutor ledger check`) and the count of credits compared with the answers.
Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from billing_run import populate, prepare_database  # noqa: E402

LUA = """
local paths = {%(paths)s}
local method, token, body = "%(method)s", "%(token)s", %(body)s
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
-- `id` is each thread's own global, set by setup() in the main state (thread:set).
function request()
  counter = counter + 1
  local headers = {["Accept"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = "bench-" .. id .. "-" .. counter
  end
  return wrk.format(method, paths[math.random(#paths)], headers, body)
end
"""

# The line every script but the notifications' writes at the end (bench/*.py read it with
# `summary`): requests, microseconds, latency percentiles 50/95/99 in µs, errors.
LUA_DONE = """
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tokens(accounts: int) -> tuple[str, str, list[str], str]:
    """(staff token, a customer's token, every account number, that customer's number)."""
    from django.contrib.auth import get_user_model

    from hutor.accounts.models import BillingAccount
    from hutor.api import tokens as api_tokens
    from hutor.backoffice.models import Role, StaffProfile

    admin = get_user_model().objects.create_user(
        email="admin@bench.example", password="bench-only-password", is_staff=True
    )
    StaffProfile.objects.create(user=admin, role=Role.ADMIN)
    staff = api_tokens.create_staff_token(
        staff=admin, name="bench", role=Role.ACCOUNTANT, reason="benchmark"
    )
    numbers = list(BillingAccount.objects.order_by("pk").values_list("number", flat=True))
    customer = BillingAccount.objects.order_by("pk").first()
    assert customer is not None
    own = api_tokens.create_customer_token(account=customer, name="bench")
    return staff.secret, own.secret, numbers, customer.number


def serve(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [str(gunicorn), "hutor.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello/", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not answer: " + (process.stderr.read() or b"").decode()[-2000:])


def run_wrk(
    url: str, script: str, args: argparse.Namespace, *, seconds: int, options: tuple[str, ...] = ()
) -> tuple[str, float]:
    """wrk with a Lua script against `url` (args.threads, args.connections): its output and
    the wall time it took."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    started = time.perf_counter()
    try:
        output = subprocess.run(  # noqa: S603
            [
                shutil.which("wrk") or "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{seconds}s",
                *options,
                "-s",
                file.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    return output, time.perf_counter() - started


def result_line(output: str) -> list[int]:
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return [int(v) for v in line.split()[1:]]


def summary(output: str) -> dict[str, float]:
    """The figures of LUA_DONE's line: requests, req/s, p50/p95/p99 in ms, errors."""
    requests, micros, p50, p95, p99, errors = result_line(output)
    return {
        "requests": requests,
        "seconds": micros / 1e6,
        "rps": requests / (micros / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": errors,
    }


def load(
    port: int, paths: list[str], *, method: str, token: str, body: str, args: argparse.Namespace
) -> dict[str, float]:
    lua_paths = ", ".join(json.dumps(path) for path in paths)
    script = LUA % {"paths": lua_paths, "method": method, "token": token, "body": json.dumps(body)}
    output, _ = run_wrk(f"http://127.0.0.1:{port}", script + LUA_DONE, args, seconds=args.seconds)
    return summary(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hutor_bench_api"
    )
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    args.batch_size, args.server_side_binding = 1000, False  # for billing_run's helpers
    if shutil.which("wrk") is None:
        raise SystemExit("bench/api.py needs wrk: apt-get install wrk")
    random.seed(1)

    os.environ["HUTOR_API_REQUESTS_PER_MINUTE"] = "0"
    os.environ["HUTOR_API_WRITES_PER_MINUTE"] = "0"
    prepare_database(args)
    populate(args.accounts)
    staff, own, numbers, mine = tokens(args.accounts)
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
    server = serve(port, args.workers, env)
    sample = random.sample(numbers, min(len(numbers), 500))
    credit = json.dumps(
        {"amount": {"amount": "1.00", "currency": "RUB"}, "direction": "credit", "reason": "bench"}
    )
    cases = [
        ("hello", ["/bench/hello/"], "GET", "", ""),
        ("catalog", ["/api/v1/catalog/tariffs"], "GET", "", ""),
        ("account", [f"/api/v1/accounts/{n}" for n in sample], "GET", staff, ""),
        ("statement", [f"/api/v1/accounts/{mine}/statement"], "GET", own, ""),
        (
            "adjust (write)",
            [f"/api/v1/accounts/{n}/balance/adjustments" for n in sample],
            "POST",
            staff,
            credit,
        ),
    ]
    results: dict[str, dict[str, float]] = {}
    try:
        for name, paths, method, token, body in cases:
            results[name] = load(port, paths, method=method, token=token, body=body, args=args)
    finally:
        server.terminate()
        server.wait(timeout=30)

    hello = results["hello"]["rps"]
    print(
        f"\n{args.db}: {args.accounts} accounts, gunicorn {args.workers} workers, "
        f"wrk {args.threads} threads x {args.connections} connections, {args.seconds} s a case"
    )
    columns = ("req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "of hello")
    print(f"{'case':16} " + " ".join(f"{c:>9}" for c in columns))
    for name, r in results.items():
        print(
            f"{name:16} {r['rps']:9.0f} {r['p50']:9.1f} {r['p95']:9.1f} {r['p99']:9.1f} "
            f"{r['errors']:9.0f} {r['rps'] / hello:9.2f}"
        )
    check_writes(results["adjust (write)"])


def check_writes(result: dict[str, float]) -> None:
    """Every answered write is one credit, and the ledger still balances."""
    from django.core.management import call_command

    from hutor.ledger.models import EntryKind, JournalEntry

    credits = JournalEntry.objects.filter(kind=EntryKind.ADJUSTMENT).count()
    answered = int(result["requests"] - result["errors"])
    print(f"\nadjustments written: {credits}, answered 2xx: {answered}")
    # Each request had its own Idempotency-Key; wrk may count a request cut at the end of the
    # run (sent, not answered) which the server still completed, so a few more may be written.
    assert answered <= credits <= answered + 64, "a write was lost or done twice"
    call_command("ledger", "check")


if __name__ == "__main__":
    main()
