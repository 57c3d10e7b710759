"""`hutor migrate-database`: the demo, in SQLite, moved into a scratch PostgreSQL database on the
suite's server; the counts and ledger totals agree, the ledger's guards fire there, the ids
continue after the highest, secrets still decrypt; a non-empty target is refused."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection

from hutor.ops import backup

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def hutor(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "hutor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture
def scratch(transactional_db):
    name = f"h_ops_move_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield backup._pg_dsn({**connection.settings_dict, "NAME": name})
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_demo_moves_to_postgresql(tmp_path, scratch):
    sqlite = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hutor.sqlite3'}",
        "HUTOR_VAR_DIR": str(tmp_path),
        "HUTOR_CLI_LANGUAGE": "en",
    }
    assert hutor(sqlite, "migrate", "--no-input", "-v", "0").returncode == 0
    demo = hutor(sqlite, "demo")
    assert demo.returncode == 0, demo.stderr
    # The daily run on top of the demo (renewal invoices, payments from the balance).
    run = hutor(sqlite, "billing", "run")
    assert run.returncode in (0, 1), run.stderr
    here = json.loads(hutor(sqlite, "backup", "inspect").stdout)

    moved = hutor(sqlite, "migrate-database", "--to", scratch)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "ledger check: OK" in moved.stdout
    assert "≠" not in moved.stdout

    target = {**sqlite, "DATABASE_URL": scratch}
    there = json.loads(hutor(target, "backup", "inspect").stdout)
    assert there["ledger"] == here["ledger"] and here["ledger"]
    for table, count in there["tables"].items():
        assert here["tables"][table] == count, table
    assert hutor(target, "secrets", "check").returncode == 0
    # The append-only guards are PostgreSQL's triggers there, and new ids follow the old.
    probe = (
        "from django.db import connection, transaction\n"
        "from hutor.ledger.models import JournalEntry\n"
        "from hutor.accounts.actions import open_billing_account\n"
        "top = max(JournalEntry.objects.values_list('pk', flat=True))\n"
        "try:\n"
        "    with transaction.atomic(), connection.cursor() as c:\n"
        "        c.execute('UPDATE ledger_posting SET amount = 0')\n"
        "    print('UPDATED')\n"
        "except Exception as exc:\n"
        "    print('REFUSED', type(exc).__name__)\n"
        "a = open_billing_account(email='after-move@example.com', name='After')\n"
        "print('NEW', a.pk > 0)\n"
    )
    shell = hutor(target, "shell", "-c", probe)
    assert "REFUSED" in shell.stdout and "NEW True" in shell.stdout, shell.stdout + shell.stderr

    again = hutor(sqlite, "migrate-database", "--to", scratch)
    assert again.returncode == 1
    assert "the target database is not empty" in again.stderr
