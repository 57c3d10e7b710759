"""`hutor backup`, `hutor backup verify` and `hutor restore`, on the suite's database (SQLite or
PostgreSQL): the archive restores into an empty database with the same rows and ledger, a
damaged one fails verify with a clear message, a non-empty target is refused."""

import json
import os
import subprocess
import sys
import tarfile
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import close_old_connections, connection

from hutor.ops import backup


@pytest.fixture
def money(transactional_db, account_factory, top_up, settings, tmp_path):
    settings.HUTOR_SUPPORT_FILES_DIR = tmp_path / "support-files"
    (tmp_path / "support-files" / "t1").mkdir(parents=True)
    (tmp_path / "support-files" / "t1" / "screenshot.png").write_bytes(b"\x89PNG fake")
    accounts = [account_factory() for _ in range(3)]
    for n, account in enumerate(accounts, start=1):
        top_up(account, Decimal(f"{n}00.50"))
    return accounts


def make_backup(tmp_path, capsys) -> Path:
    call_command("backup", "--to", str(tmp_path / "out"))
    out = capsys.readouterr().out
    [archive] = (tmp_path / "out").glob("hutor-backup-*.tar")
    assert str(archive) in out
    return archive


def hutor(url, *args, **env):
    full = {**os.environ, "DATABASE_URL": url, "HUTOR_CLI_LANGUAGE": "en", **env}
    return subprocess.run(
        [sys.executable, "-m", "hutor.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def empty_database(tmp_path):
    """The URL of an empty database of the suite's engine (PostgreSQL: created and dropped)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"h_ops_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    db = {**connection.settings_dict, "NAME": name}
    try:
        yield backup._pg_dsn(db)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_verify_and_restore(money, tmp_path, capsys, empty_database):
    archive = make_backup(tmp_path, capsys)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "files/t1/screenshot.png" in names
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["accounts_billingaccount"] == 3
    assert (
        manifest["ledger"]["customer:RUB:net"] == "-601.50"
        or manifest["ledger"]["customer:RUB:net"] == "601.50"
    )
    call_command("backup", "verify", str(archive))
    assert "backup verify: OK" in capsys.readouterr().out

    restored = hutor(empty_database, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert hutor(empty_database, "ledger", "check").returncode == 0
    again = json.loads(hutor(empty_database, "backup", "inspect").stdout)
    assert again["tables"] == manifest["tables"] and again["ledger"] == manifest["ledger"]
    # A second restore into the same (now full) database is refused; nothing changes.
    refused = hutor(empty_database, "restore", str(archive))
    assert refused.returncode == 1
    assert "the database is not empty" in refused.stderr


def test_a_damaged_backup_fails_verify(money, tmp_path, capsys):
    archive = make_backup(tmp_path, capsys)
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("database."))
    data = bytearray(archive.read_bytes())
    at = member.offset_data + member.size // 2
    data[at : at + 64] = bytes(b ^ 0xFF for b in data[at : at + 64])  # a bad disk block
    archive.write_bytes(bytes(data))
    with pytest.raises(CommandError, match=r"damaged: database\.\w+ does not match its manifest"):
        call_command("backup", "verify", str(archive))


def test_a_manifest_that_disagrees_fails_verify(money, tmp_path, capsys):
    archive = make_backup(tmp_path, capsys)
    folder = tmp_path / "x"
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["payments_payment"] = 7
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with tarfile.open(archive, "w") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(folder).as_posix())
    with pytest.raises(SystemExit) as exit_:
        call_command("backup", "verify", str(archive))
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "payments_payment: 0 in the restored database, 7 in the manifest" in out


def test_restore_refuses_a_database_with_tables(money, tmp_path, capsys):
    archive = make_backup(tmp_path, capsys)
    with pytest.raises(CommandError, match="the database is not empty"):
        call_command("restore", str(archive))


@pytest.mark.postgres
@pytest.mark.slow
def test_a_backup_under_load_verifies(money, tmp_path, capsys, top_up):
    """Payments keep arriving while pg_dump runs: the manifest and the dump share a snapshot."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    accounts = money
    stop = threading.Event()
    made: list[int] = []

    def pay() -> None:
        try:
            while not stop.is_set():
                top_up(accounts[len(made) % 3], Decimal("101.00"))
                made.append(1)
        finally:
            close_old_connections()

    thread = threading.Thread(target=pay)
    thread.start()
    try:
        while len(made) < 5:
            threading.Event().wait(0.05)
        archive = backup.create(tmp_path / "load")
        during = len(made)
    finally:
        stop.set()
        thread.join()
    assert during >= 5 and len(made) > 5
    assert backup.verify(archive) == []
