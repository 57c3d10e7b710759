"""The read replica router (core/replica.py) with two SQLite aliases: "default" and a
"replica" file copied from it at one moment, so a row added to the primary afterwards is what
a lagging replica has not yet received. The streaming PostgreSQL replica is
core/tests/test_replica.py."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection, connections
from django.test import Client

from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.backoffice.tests.fixtures import staff_factory as staff_factory
from hutor.core import replica
from hutor.core.models import WorkerHeartbeat
from hutor.core.replica import ReplicaRouter, WriteWhileReading
from hutor.settings_env import replica_database

ROUTER = ["hutor.core.replica.ReplicaRouter"]


@pytest.fixture
def snapshot_replica(transactional_db, tmp_path, settings):
    """snapshot(): copy the primary's committed rows into the "replica" alias (a SQLite file),
    as a replica that has replayed the primary up to now. The router is installed."""
    if connection.vendor != "sqlite":
        pytest.skip("the two-file replica is SQLite's; PostgreSQL's is test_replica.py")
    path = tmp_path / "replica.sqlite3"
    connections.settings[replica.REPLICA] = {
        **connections.settings["default"],
        "NAME": str(path),
        "TEST": {"MIRROR": None, "NAME": str(path)},
    }
    settings.DATABASE_ROUTERS = ROUTER

    def snapshot() -> None:
        connections[replica.REPLICA].close()
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        # Connected here: the test case refuses to open an alias it was not set up with.
        connections[replica.REPLICA].connect()

    yield snapshot
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    del connections.settings[replica.REPLICA]


def heartbeat(name: str) -> WorkerHeartbeat:
    from django.utils import timezone

    now = timezone.now()
    return WorkerHeartbeat.objects.create(name=name, host="h", pid=1, started_at=now, seen_at=now)


def test_reads_under_reading_go_to_the_replica_and_others_to_the_primary(snapshot_replica):
    heartbeat("old")
    snapshot_replica()
    heartbeat("new")  # on the primary only: the replica has not replayed it yet
    names = lambda: sorted(WorkerHeartbeat.objects.values_list("name", flat=True))  # noqa: E731
    assert names() == ["new", "old"]
    with replica.reading():
        assert names() == ["old"]
        assert WorkerHeartbeat.objects.all().db == "replica"
    assert names() == ["new", "old"]
    assert WorkerHeartbeat.objects.all().db == "default"


def test_a_write_inside_reading_raises_and_writes_nothing(snapshot_replica):
    row = heartbeat("old")
    snapshot_replica()
    with replica.reading():
        with pytest.raises(WriteWhileReading, match=r"core\.WorkerHeartbeat"):
            heartbeat("new")
        row.pid = 2
        with pytest.raises(WriteWhileReading):
            row.save()
        with pytest.raises(WriteWhileReading):
            WorkerHeartbeat.objects.filter(pk=row.pk).update(pid=3)
    assert list(WorkerHeartbeat.objects.values_list("name", "pid")) == [("old", 1)]


def test_without_a_replica_reading_reads_the_primary(db):
    heartbeat("one")
    with replica.reading():
        assert WorkerHeartbeat.objects.all().db == "default"
        assert WorkerHeartbeat.objects.count() == 1
    # Installed without the alias (a settings mistake) the router still reads the primary.
    assert ReplicaRouter().db_for_read(WorkerHeartbeat) == "default"


def test_the_replica_is_never_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate("replica", "ledger") is False
    assert router.allow_migrate("default", "ledger") is True


def test_the_desk_search_reads_the_replica(snapshot_replica, staff_factory, account_factory):
    seen = account_factory(name="Replayed Ltd")
    snapshot_replica()
    lagging = account_factory(name="Lagging Ltd")
    client = desk_session(Client(), staff_factory(Role.SUPPORT))
    found = client.get("/desk/", {"q": seen.number})
    assert found.status_code == 302 and found["Location"].endswith(f"/{seen.number}/")
    # The account exists on the primary, but the replica has not received it yet.
    missing = client.get("/desk/", {"q": lagging.number})
    assert missing.status_code == 200
    assert lagging.number not in [hit.title for hit in missing.context["results"].hits]
    # The account page itself (which leads to actions) reads the primary.
    assert client.get(f"/desk/accounts/{lagging.number}/").status_code == 200


def test_the_replica_url_setting(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    assert replica_database() is None
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://hutor@10.0.0.2:5432/hutor")
    config = replica_database()
    assert config is not None
    assert (config["HOST"], config["NAME"], config["TEST"]) == (
        "10.0.0.2",
        "hutor",
        {"MIRROR": "default"},
    )
    monkeypatch.setenv("DATABASE_REPLICA_URL", "sqlite:///x.sqlite3")
    with pytest.raises(Exception, match="must be a postgres:// URL"):
        replica_database()


def test_every_report_reads_the_replica_and_writes_nothing(
    snapshot_replica, staff_factory, account_factory, top_up
):
    from django.test.utils import CaptureQueriesContext

    from hutor.backoffice import reports

    top_up(account_factory(), "300.00")
    snapshot_replica()
    client = desk_session(Client(), staff_factory(Role.ADMIN))
    pages = ["/desk/reports/"] + [f"/desk/reports/{slug}/" for slug in reports.REPORTS]
    for page in pages:
        with CaptureQueriesContext(connections[replica.REPLICA]) as on_replica:
            # A write inside reading() would raise WriteWhileReading: a 500, not a 200.
            assert client.get(page).status_code == 200, page
            assert client.get(page, {"format": "csv"}).status_code == 200, page
        assert on_replica.captured_queries, page
