"""The read replica for real: a PostgreSQL primary and a streaming replica made by
pg_basebackup -R, both started by this test (hutor.testing_postgres). Hutor runs against them
in its own process (replica_probe.py) with DATABASE_URL and DATABASE_REPLICA_URL, as an
operator configures it. Proves:

- the desk's search reads the replica: its queries run on the replica's connection and are in
  the replica's statement log; an account opened on the primary is found once it has been
  replayed, and not while replay is paused (the account page itself reads the primary);
- a payment notification while the replica lags is credited on the primary alone (no query
  on the replica), and reaches the replica by replication."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hutor.testing_postgres import primary_and_replica

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def test_the_desks_search_reads_a_streaming_replica():
    with primary_and_replica(replica_options="-c log_statement=all") as cluster:
        subprocess.run(
            ["psql", "-q", "-c", "CREATE DATABASE hutor", cluster.primary.url()], check=True
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HUTOR_", "DJANGO_", "CACHE_", "EMAIL_", "DATABASE_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="hutor.settings_test",
            DATABASE_URL=cluster.primary.url("hutor"),
            DATABASE_REPLICA_URL=cluster.replica.url("hutor"),
            ALLOWED_HOSTS="testserver",
            HUTOR_DEMO_PAYMENTS="1",
        )
        migrated = subprocess.run(
            [BIN / "hutor", "migrate", "--no-input", "-v", "0"], env=env, capture_output=True
        )
        assert migrated.returncode == 0, migrated.stderr.decode()[-2000:]
        probe = subprocess.run(
            [sys.executable, "-m", "hutor.core.tests.replica_probe"],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert probe.returncode == 0, probe.stderr[-3000:]
        seen = json.loads(probe.stdout.strip().splitlines()[-1])
        replica_log = cluster.replica_log()

    assert seen["in_recovery"] is True
    first = seen["first"]
    assert first["status"] == 302 and first["location"].endswith(f"/{first['number']}/")
    assert first["replica_queries"] > 0
    # Replay paused: the primary has the account, the replica's search does not find it.
    paused = seen["second_paused"]
    assert paused["status"] == 200 and paused["replica_queries"] > 0
    assert seen["second_page"] == 200
    # The payment went to the primary only, while the replica stood still.
    assert seen["payment"] == {"status": 200, "payment_status": "succeeded", "replica_queries": 0}
    # Replay resumed: the search finds the account, the replica has the credited payment.
    replayed = seen["second_replayed"]
    assert replayed["status"] == 302 and replayed["location"].endswith(f"/{replayed['number']}/")
    assert seen["payment_on_replica"] == "succeeded"
    assert seen["payments_on_primary"] == 1
    # The replica's own statement log: the search's reads, and no write ever reached it.
    assert "accounts_billingaccount" in replica_log
    assert "INSERT INTO" not in replica_log and "UPDATE " not in replica_log
