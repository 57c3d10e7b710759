"""`hutor migrate-database` after a year of business: the demo in SQLite, then a year of daily
runs with customers ordering, paying, renewing, lapsing and being terminated (year_of_business.py,
through Hutor's own actions, hosting provisioned in the demo's PowerDNS as `make run` starts it),
moved into a scratch PostgreSQL database. Both sides pass `ledger check`, every table has the
same number of rows and the ledger's totals per account kind are identical."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hutor.testing_pdns import free_port, pdns_server_binary, require_pdns

from .test_move import hutor, scratch  # noqa: F401 - the scratch database fixture

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

YEAR = Path(__file__).with_name("year_of_business.py")


def _start_demo_pdns(var: Path, api_port: int) -> subprocess.Popen[bytes]:
    """pdns_server with the configuration `hutor demo` wrote, as `make run` starts it."""
    conf = var / "pdns"
    log = (conf / "pdns.log").open("wb")
    process = subprocess.Popen(
        [str(pdns_server_binary()), f"--config-dir={conf}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    key = (conf / "api-key").read_text().strip()
    request = urllib.request.Request(
        f"http://127.0.0.1:{api_port}/api/v1/servers", headers={"X-API-Key": key}
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(request, timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("the demo's pdns_server did not start:\n" + (conf / "pdns.log").read_text())


def test_a_year_of_business_moves_to_postgresql(tmp_path, scratch):  # noqa: F811
    require_pdns()
    api_port = free_port()
    sqlite = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hutor.sqlite3'}",
        "HUTOR_VAR_DIR": str(tmp_path),
        "HUTOR_CLI_LANGUAGE": "en",
        # As `make run` runs the demo: its settings, var/ and PowerDNS under var/pdns/.
        "DJANGO_SETTINGS_MODULE": "hutor.settings",
        "DEBUG": "1",
        "HUTOR_DEMO_DNS_PORT": str(free_port()),
        "HUTOR_DEMO_DNS_API_PORT": str(api_port),
    }
    assert hutor(sqlite, "migrate", "--no-input", "-v", "0").returncode == 0
    demo = hutor(sqlite, "demo")
    assert demo.returncode == 0, demo.stderr
    pdns = _start_demo_pdns(tmp_path, api_port)
    try:
        year = subprocess.run(
            [sys.executable, str(YEAR)],
            env=sqlite,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
    finally:
        pdns.terminate()
        pdns.wait(timeout=10)
    assert year.returncode == 0, year.stderr[-3000:]
    made = json.loads(year.stdout.strip().splitlines()[-1])
    assert made["customers"] == 53 and made["runs"] == 365 and made["payments"] > 300

    checked = hutor(sqlite, "ledger", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    here = json.loads(hutor(sqlite, "backup", "inspect").stdout)
    # What a year leaves behind, so that the comparison below is about real data.
    for table, at_least in (
        ("invoices_invoice", 300),
        ("services_paidperiod", 250),
        ("documents_closingdocument", 100),
        ("notifications_outboxemail", 700),
        ("services_provisioningtask", 60),
    ):
        assert here["tables"][table] >= at_least, (table, here["tables"][table])

    moved = hutor(sqlite, "migrate-database", "--to", scratch)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "ledger check: OK" in moved.stdout and "≠" not in moved.stdout

    target = {**sqlite, "DATABASE_URL": scratch}
    checked = hutor(target, "ledger", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    there = json.loads(hutor(target, "backup", "inspect").stdout)
    assert there["ledger"] == here["ledger"] and here["ledger"]
    # SQLite keeps the knowledge base's full-text index in FTS5 tables of its own (kb_search and
    # its shadow tables, rebuilt from the articles); PostgreSQL searches the articles themselves.
    index_only = set(here["tables"]) - set(there["tables"])
    assert index_only and all(table.startswith("kb_search") for table in index_only), index_only
    assert there["tables"] == {t: n for t, n in here["tables"].items() if t not in index_only}
