"""More than one machine, in one: two gunicorn web servers, three `hutor worker` processes and
two `hutor billing run` started together, all on one PostgreSQL database (the test database),
while customers pay their order invoices through the payment notification URL of both web
servers. At the end: `ledger check` is clean; every outbox email was sent once (one attempt,
its Message-ID once in the mail files); every provisioning task ran once (one attempt, one
"provisioning create" line in the workers' logs); one daily run ran and the other was refused
by the run's lock (exit 75). Prints payments/s and tasks/s (docs/operations.md, "More than one
machine", records them).

Sizes are small (20 payers: this machine's two cores are shared); HUTOR_SCALE_PAYERS makes it
larger."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection

from hutor.billing.models import BillingRun
from hutor.billing.tests.helpers import active_service
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import start_top_up
from hutor.payments.gateways import demo
from hutor.payments.models import Payment, PaymentStatus
from hutor.servers import actions as servers
from hutor.services.models import ProvisioningTask
from hutor.services.orders import place_order
from hutor.testing_pdns import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BIN = Path(sys.executable).parent
PAYERS = int(os.environ.get("HUTOR_SCALE_PAYERS", "20"))
RENEWALS = 12
THREADS = 4


def wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"the web server on {port} exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answers on {port}")


def environment(tmp_path: Path) -> dict[str, str]:
    s = connection.settings_dict
    url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HUTOR_", "DJANGO_", "CACHE_", "EMAIL_", "DATABASE_", "LC_", "LANG"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hutor.settings",
        DATABASE_URL=f"{url}/{s['NAME']}",
        SECRET_KEY="scale-out-test-only",
        HUTOR_SECRETS_KEY="eyv3PAjW9orlNebYQNWuc9gqrVt869Cm8pzPTJBiHO4=",
        ALLOWED_HOSTS="127.0.0.1",
        HUTOR_BASE_URL="http://127.0.0.1:8000",
        HUTOR_VAR_DIR=str(tmp_path / "var"),
        EMAIL_URL=f"file://{tmp_path / 'mail'}",
        HUTOR_DEMO_PAYMENTS="1",
        HUTOR_CLI_LANGUAGE="en",
        LOG_LEVEL="INFO",
        # The run's batches small and spaced, so the two runs certainly overlap.
        HUTOR_BILLING_BATCH_SIZE="4",
        HUTOR_BILLING_PAUSE_MS="150",
    )
    return env


@pytest.fixture
def shop(catalog, payment_methods, account_factory):
    """Customers with an unpaid order (a hosting on a "log" server: its creation is a worker's
    task once paid), and customers whose hosting is due for renewal in the daily run."""
    if connection.vendor != "postgresql":
        pytest.skip("several processes on one database: PostgreSQL")
    group = servers.add_group(code="web", name="Web")
    servers.add_server(name="web1", group=group, module="log", host="web1.example.net")
    catalog.start.server_group = group
    catalog.start.save(update_fields=["server_group"])
    price = catalog.price(catalog.start, 1)
    orders = []
    for n in range(PAYERS):
        account = account_factory()
        service = place_order(billing_account=account, price=price, identifier=f"shop{n}.ru")
        orders.append(Invoice.objects.get(lines__service=service))
    for _n in range(RENEWALS):
        active_service(
            account_factory(), catalog.start, months=1, paid_until=clock.today() + dt.timedelta(3)
        )
    return orders, payment_methods.demo


def test_web_servers_workers_and_runs_share_one_database(shop, tmp_path):
    orders, method = shop
    env = environment(tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen] = []

    def start(name: str, *command: object) -> subprocess.Popen:
        out = (logs / f"{name}.log").open("w")
        process = subprocess.Popen(
            [str(c) for c in command], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        processes.append(process)
        return process

    hutor = [sys.executable, "-c", "from hutor.cli import main; main()"]
    try:
        webs = [
            start(
                f"web{i}",
                BIN / "gunicorn",
                "hutor.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
            )
            for i, port in enumerate(ports)
        ]
        for port, web in zip(ports, webs, strict=True):
            wait_for(port, web)
        workers = [start(f"worker{i}", *hutor, "worker", "--interval", "0.5") for i in range(3)]

        answers: list[int] = []
        lock = threading.Lock()
        todo = list(enumerate(orders))

        def pay() -> None:
            try:
                while True:
                    with lock:
                        if not todo:
                            return
                        n, invoice = todo.pop()
                    payment = start_top_up(
                        billing_account=invoice.billing_account,
                        method=method,
                        amount=Money(invoice.total, invoice.currency),
                        invoice=invoice,
                    )
                    data = {
                        "payment": payment.number,
                        "amount": f"{payment.amount:.2f}",
                        "currency": payment.currency,
                        "transaction": f"scale-{n}",
                        "status": "paid",
                    }
                    data["signature"] = demo.sign("demo-secret", data)
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{ports[n % 2]}/pay/{method.slug}/result/",
                        data=urllib.parse.urlencode(data).encode(),
                    )
                    with urllib.request.urlopen(request, timeout=60) as response, lock:
                        answers.append(response.status)
            finally:
                close_old_connections()

        began = time.monotonic()
        payers = [threading.Thread(target=pay) for _ in range(THREADS)]
        for payer in payers:
            payer.start()
        runs = [start(f"run{i}", *hutor, "billing", "run", "--jobs", "1") for i in range(2)]
        for payer in payers:
            payer.join()
        paid_in = time.monotonic() - began
        codes = sorted(run.wait(timeout=240) for run in runs)

        # The workers drain the queues: every email and task done, none left waiting.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            waiting = (
                OutboxEmail.objects.filter(status__in=["pending", "running"]).count()
                + ProvisioningTask.objects.filter(status__in=["pending", "running"]).count()
            )
            if not waiting:
                break
            time.sleep(0.5)
        drained_in = time.monotonic() - began
        assert all(worker.poll() is None for worker in workers), "a worker died"
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    output = {p.name: p.read_text(errors="replace") for p in logs.iterdir()}

    # Payments: each answered 200 and credited once; each order invoice paid.
    assert answers == [200] * PAYERS, output["web0.log"][-2000:] + output["web1.log"][-2000:]
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == PAYERS
    paid = Invoice.objects.filter(pk__in=[i.pk for i in orders], status=InvoiceStatus.PAID)
    assert paid.count() == PAYERS
    # The daily run: one ran, the other was refused by the lock; one run recorded, done.
    assert codes == [0, 75], output["run0.log"][-2000:] + output["run1.log"][-2000:]
    assert list(BillingRun.objects.filter(dry_run=False).values_list("status", flat=True)) == [
        "done"
    ]
    refused = output["run0.log"] + output["run1.log"]
    assert "Another billing run is running" in refused
    renewals = Invoice.objects.filter(kind="renewal").count()
    assert renewals == RENEWALS
    # Emails: all sent, one attempt each, each Message-ID once in the delivered mail.
    emails = list(OutboxEmail.objects.values_list("pk", "status", "attempts"))
    assert emails and all(s == "sent" and a == 1 for _pk, s, a in emails), Counter(
        (s, a) for _pk, s, a in emails
    )
    mail = "".join(p.read_text(errors="replace") for p in (tmp_path / "mail").iterdir())
    delivered = Counter(re.findall(r"^Message-ID: <hutor-outbox-(\d+)@hutor>$", mail, re.M))
    assert delivered == Counter({str(pk): 1 for pk, _s, _a in emails})
    # Tasks: every creation ran once, on whichever worker claimed it.
    tasks = list(ProvisioningTask.objects.values_list("service_id", "status", "attempts"))
    assert len(tasks) == PAYERS
    assert all(s == "done" and a == 1 for _sid, s, a in tasks), Counter(
        (s, a) for _sid, s, a in tasks
    )
    worker_logs = "".join(output[f"worker{i}.log"] for i in range(3))
    created = Counter(re.findall(r"provisioning create: service (\d+) ", worker_logs))
    assert created == Counter({str(sid): 1 for sid, _s, _a in tasks})
    busy = sum(1 for i in range(3) if "provisioning create" in output[f"worker{i}.log"])
    # The money: every invariant of the ledger holds.
    call_command("ledger", "check")
    print(
        f"\nscale-out: {PAYERS} payments through 2 web servers in {paid_in:.1f} s "
        f"({PAYERS / paid_in:.1f} payments/s); {len(tasks)} tasks and {len(emails)} emails "
        f"by 3 workers ({busy} took tasks) in {drained_in:.1f} s "
        f"({(len(tasks) + len(emails)) / drained_in:.1f} jobs/s, {len(tasks) / drained_in:.1f} "
        f"tasks/s); billing run exits {codes}; load {os.getloadavg()[0]:.1f}"
    )
