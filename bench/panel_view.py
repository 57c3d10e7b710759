"""The panel home page's own time, in-process (not a timed test): the view function alone, its
SQL and its template apart, and the whole request through the middleware, for a customer with a
short history and for one with a long one.

    .venv/bin/python bench/panel_view.py --db sqlite [--accounts 1000] [--postings 20000]
    .venv/bin/python bench/panel_view.py --db postgres \
        [--database-url postgres://postgres@127.0.0.1:5432/hutor_bench_view] [--profile 20]

Builds a fresh database as bench/panel_home.py does (never point it at a database you care
about), with two payment methods and one unpaid invoice on each measured customer so that every
block of the page renders. Then, for each customer, `--requests` times (after a warm-up):

    view      `panel.views.home.home(request)` on a request from RequestFactory carrying the
              user, a session and the language, as the middleware leaves it; split into the
              time inside SQL (an execute wrapper), inside template rendering (Template.render)
              and the rest (Python in the view: ORM, Money, context)
    request   `Client.get("/panel/")` with the customer's session: the middleware as well;
              and its CPU time through Django's WSGI handler, without the test client's work

and prints the median and p95 of each in ms with the number of queries. `--profile N` prints
cProfile's top functions (cumulative) over N views of the long-history customer, and the Python
calls per view (a measure the machine's load does not move); `--profile-request N` the same
over N whole requests through the WSGI handler (all the middleware).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from billing_run import populate, prepare_database  # noqa: E402
from panel_home import add_history  # noqa: E402
from proc_cpu import backend_pid, cpu_seconds  # noqa: E402


class Clock:
    """Seconds spent inside SQL and inside template rendering, accumulated."""

    def __init__(self) -> None:
        self.sql = 0.0
        self.template = 0.0
        self.queries = 0

    def execute(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            self.sql += time.perf_counter() - started
            self.queries += 1


@contextmanager
def clocked(clock: Clock) -> Iterator[None]:
    from django.db import connection
    from django.template.backends.django import Template

    render = Template.render

    def timed_render(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return render(self, *args, **kwargs)
        finally:
            clock.template += time.perf_counter() - started

    Template.render = timed_render  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(clock.execute):
            yield
    finally:
        Template.render = render  # type: ignore[method-assign]


def extras(billing_account_ids: list[int]) -> None:
    """Two payment methods, and an unpaid invoice for each customer measured."""
    from decimal import Decimal

    from hutor.accounts.models import BillingAccount
    from hutor.invoices.calculations import ManualLine
    from hutor.invoices.manual import issue_manual_invoice
    from hutor.payments.models import Gateway, PaymentMethod

    PaymentMethod.objects.create(
        slug="card", gateway=Gateway.DEMO, name_ru="Карта", name_en="Card", position=1
    )
    PaymentMethod.objects.create(
        slug="bank", gateway=Gateway.BANK_TRANSFER, name_ru="Банк", name_en="Bank", position=2
    )
    big = ManualLine(description="Hosting", quantity=Decimal(1), unit_price=Decimal(10_000_000))
    for account in BillingAccount.objects.filter(pk__in=billing_account_ids):
        invoice, _ = issue_manual_invoice(billing_account=account, lines=[big])
        assert invoice.status == "unpaid", "more than the balance: it stays unpaid"


def view_request(account_id: int) -> Any:
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.urls import resolve
    from django.utils import translation

    from hutor.accounts.models import BillingAccount

    user = BillingAccount.objects.select_related("user").get(pk=account_id).user
    request = RequestFactory().get("/panel/")
    request.user = user
    request.session = SessionStore()
    request.resolver_match = resolve("/panel/")
    request.LANGUAGE_CODE = translation.get_language()
    return request


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(name: str, account_id: int, args: argparse.Namespace) -> None:
    from django.test import Client

    from hutor.accounts.models import BillingAccount
    from hutor.panel.views.home import home

    request = view_request(account_id)
    number = BillingAccount.objects.get(pk=account_id).number
    for _ in range(20):
        assert number in home(request).content.decode()
    views, cpus, sqls, templates, queries = [], [], [], [], 0
    for _ in range(args.requests):
        clock = Clock()
        with clocked(clock):
            started, cpu = time.perf_counter(), time.thread_time()
            home(request)
            views.append(time.perf_counter() - started)
            cpus.append(time.thread_time() - cpu)
        sqls.append(clock.sql)
        templates.append(clock.template)
        queries = clock.queries
    client = Client()
    client.force_login(request.user)
    for _ in range(20):
        client.get("/panel/")
    whole = []
    for _ in range(args.requests):
        started = time.perf_counter()
        response = client.get("/panel/")
        whole.append(time.perf_counter() - started)
        assert response.status_code == 200
    server = ServerClock()
    handler_cpus = wsgi_cpus(client, args.requests)
    server_ms = server.per_request(args.requests)
    rest = [v - s - t for v, s, t in zip(views, sqls, templates, strict=True)]
    ms = 1000
    print(
        f"{name:6} view median {statistics.median(views) * ms:.2f} ms "
        f"(p95 {percentile(views, 0.95) * ms:.2f}; CPU median {statistics.median(cpus) * ms:.2f}, "
        f"min {min(cpus) * ms:.2f}; "
        f"SQL {statistics.median(sqls) * ms:.2f} in "
        f"{queries} queries, template {statistics.median(templates) * ms:.2f}, "
        f"rest {statistics.median(rest) * ms:.2f}); request median "
        f"{statistics.median(whole) * ms:.2f} ms (p95 {percentile(whole, 0.95) * ms:.2f}); "
        f"through the WSGI handler CPU median {statistics.median(handler_cpus) * ms:.2f}, "
        f"min {min(handler_cpus) * ms:.2f}"
        + (f"; PostgreSQL server CPU {server_ms:.2f} a request" if server_ms is not None else "")
    )


class ServerClock:
    """The CPU time of this process's PostgreSQL backend (user + system, from /proc: the server
    runs on this machine), to divide by the requests made since."""

    def __init__(self) -> None:
        self.pid = backend_pid()
        self.start = self.seconds()

    def seconds(self) -> float:
        return 0.0 if self.pid is None else cpu_seconds(self.pid)

    def per_request(self, n: int) -> float | None:
        """Milliseconds of the backend's CPU per request (None on SQLite)."""
        if self.pid is None:
            return None
        return (self.seconds() - self.start) * 1000 / n


def wsgi_cpus(client: Any, n: int, profiler: cProfile.Profile | None = None) -> list[float]:
    """The CPU time of whole requests through Django's WSGI handler, middleware included,
    without the test client's own work (it records every template's context)."""
    import io

    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    handler = WSGIHandler()
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    environ = RequestFactory()._base_environ(PATH_INFO="/panel/", HTTP_COOKIE=cookie)

    def call() -> None:
        statuses = []
        body = handler({**environ, "wsgi.input": io.BytesIO()}, lambda s, h: statuses.append(s))
        b"".join(body)
        assert statuses == ["200 OK"], statuses

    for _ in range(20):
        call()
    cpus = []
    if profiler is not None:
        profiler.enable()
    for _ in range(n):
        cpu = time.thread_time()
        call()
        cpus.append(time.thread_time() - cpu)
    if profiler is not None:
        profiler.disable()
    return cpus


def profile_request(account_id: int, n: int) -> None:
    """cProfile of N whole requests through Django's WSGI handler (all the middleware)."""
    from django.test import Client

    from hutor.accounts.models import BillingAccount

    client = Client()
    client.force_login(BillingAccount.objects.select_related("user").get(pk=account_id).user)
    profiler = cProfile.Profile()
    wsgi_cpus(client, n, profiler)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(30)
    print(f"{stats.total_calls / n:,.0f} Python calls per request")


def profile(account_id: int, n: int) -> None:
    from hutor.panel.views.home import home

    request = view_request(account_id)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        home(request)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    print(f"{stats.total_calls / n:,.0f} Python calls per view")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hutor_bench_view"
    )
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--postings", type=int, default=20_000)
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--profile", type=int, default=0, help="views to profile (0: none)")
    parser.add_argument(
        "--server-side-binding",
        action="store_true",
        help="PostgreSQL: prepared statements (bound parameters, statements prepared); the "
        "settings' default since 2 Dec 2026, so this flag changes nothing now",
    )
    parser.add_argument(
        "--no-prepared-statements",
        action="store_true",
        help="PostgreSQL: DATABASE_PREPARED_STATEMENTS=0 (client-side binding)",
    )
    parser.add_argument(
        "--profile-request",
        type=int,
        default=0,
        help="whole requests (WSGI handler, all middleware) to profile (0: none)",
    )
    args = parser.parse_args()
    args.batch_size = 1000  # for billing_run's helpers
    # Read by the settings (on unless "0").
    os.environ["DATABASE_PREPARED_STATEMENTS"] = "0" if args.no_prepared_statements else "1"
    prepare_database(args)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    populate(args.accounts)
    short_id, long_id = add_history(args.postings, args.big)
    extras([short_id, long_id])
    print(
        f"{args.db}: DEBUG={settings.DEBUG}, {args.accounts:,} accounts, "
        f"{args.postings + 2 * args.big:,} postings added"
    )
    for name, account_id in [("short", short_id), ("long", long_id)]:
        measure(name, account_id, args)
    if args.profile:
        profile(long_id, args.profile)
    if args.profile_request:
        profile_request(long_id, args.profile_request)


if __name__ == "__main__":
    main()
