"""Backups with proof (docs/operations.md, "Backups"): one archive holding the database (a
`pg_dump` custom-format dump, or a copy made with SQLite's online backup API), the uploaded
files and a manifest (row counts per table, the ledger's totals, a SHA-256 of every member).

The manifest describes exactly what was dumped: on PostgreSQL it is computed inside the
REPEATABLE READ transaction whose snapshot pg_dump is given (`--snapshot`), on SQLite from the
copy itself; so payments arriving during a backup never make the counts disagree with the dump.

`verify` restores into a scratch database and runs `hutor ledger check` and `hutor backup
inspect` there, in a fresh process pointed at it (DATABASE_URL), and compares the figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hutor.ledger.models import LedgerAccount, Posting

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES = "files"


class BackupError(Exception):
    """A backup, restore or verification that cannot go on; the message says why."""


# --- What a database holds ------------------------------------------------------------------


def _tables(cursor: Any, vendor: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        )
    return [row[0] for row in cursor.fetchall()]


def describe(cursor: Any, vendor: str) -> dict[str, Any]:
    """Row counts per table and the ledger's totals (per account kind and currency), read
    through a DB-API cursor: Django's, or one of a copy that Django is not connected to."""
    counts = {}
    for table in _tables(cursor, vendor):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608  # names from the catalog
        counts[table] = int(cursor.fetchone()[0])
    posting, account = Posting._meta.db_table, LedgerAccount._meta.db_table
    ledger: dict[str, str] = {}
    if posting in counts:
        cursor.execute(
            f'SELECT a.kind, p.currency, SUM(p.amount), SUM(ABS(p.amount)) FROM "{posting}" p '  # noqa: S608
            f'JOIN "{account}" a ON a.id = p.account_id GROUP BY a.kind, p.currency '
            "ORDER BY a.kind, p.currency"
        )
        cent = Decimal("0.01")
        for kind, currency, net, gross in cursor.fetchall():
            ledger[f"{kind}:{currency}:net"] = str(Decimal(str(net)).quantize(cent))
            ledger[f"{kind}:{currency}:moved"] = str(Decimal(str(gross)).quantize(cent))
    return {"tables": counts, "ledger": ledger}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_dir() -> Path:
    return Path(settings.HUTOR_SUPPORT_FILES_DIR)


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - pg_dump/pg_restore, no shell
            args, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise BackupError(
            _("%(program)s is not installed (Debian: apt-get install postgresql-client)")
            % {"program": args[0]}
        ) from exc
    if result.returncode:
        detail = " ".join(result.stderr.split())[-500:]
        raise BackupError(
            _("%(program)s failed: %(detail)s") % {"program": args[0], "detail": detail}
        )


def _pg_dump(target: Path) -> dict[str, Any]:
    db = connection.settings_dict
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        # The dump and the manifest see the same snapshot (held while pg_dump runs; a local
        # process, read-only: no lock a writer waits for).
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-owner",
                "--file",
                str(target),
                str(db["NAME"]),
            ],
            _pg_env(db),
        )
        return describe(cursor, "postgresql")


def _pg_is_empty(db: dict[str, Any]) -> bool:
    import psycopg

    with psycopg.connect(_pg_dsn(db)) as conn:
        return not _tables(conn.cursor(), "postgresql")


def _pg_dsn(db: dict[str, Any]) -> str:
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(str(db['NAME']), safe='')}"


def _pg_restore(dump: Path, db: dict[str, Any]) -> None:
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--dbname",
            str(db["NAME"]),
            str(dump),
        ],
        _pg_env(db),
    )


# --- The archive ----------------------------------------------------------------------------


def create(to: Path) -> Path:
    """Write hutor-backup-<UTC time>.tar into `to`; returns its path."""
    to.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    archive = to / f"hutor-backup-{stamp}.tar"
    with tempfile.TemporaryDirectory(prefix="hutor-backup-") as work:
        folder = Path(work)
        if connection.vendor == "postgresql":
            member = PG_DUMP
            figures = _pg_dump(folder / member)
        elif connection.vendor == "sqlite":
            member = SQLITE_COPY
            connection.ensure_connection()
            copy = sqlite3.connect(folder / member)
            try:
                connection.connection.backup(copy)  # SQLite's online backup API
                figures = describe(copy.cursor(), "sqlite")
            finally:
                copy.close()
        else:
            raise BackupError(_("backups support PostgreSQL and SQLite only"))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": connection.vendor,
            "database": {"member": member, "sha256": _sha256(folder / member)},
            "files": {},
            **figures,
        }
        with tarfile.open(archive, "w") as tar:
            tar.add(folder / member, arcname=member)
            source = files_dir()
            if source.is_dir():
                for path in sorted(p for p in source.rglob("*") if p.is_file()):
                    name = path.relative_to(source).as_posix()
                    manifest["files"][name] = _sha256(path)
                    tar.add(path, arcname=f"{FILES}/{name}")
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(dt.datetime.now().timestamp())
            tar.addfile(info, fileobj=_bytes(data))
    return archive


def _bytes(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def unpack(archive: Path, into: Path) -> dict[str, Any]:
    """Extract the archive and check every member against the manifest; the manifest."""
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(
            _("%(file)s is not a readable backup: %(error)s") % {"file": archive, "error": exc}
        ) from exc
    try:
        manifest: dict[str, Any] = json.loads((into / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(_("the backup has no readable manifest")) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("unknown backup format %(format)s") % {"format": manifest.get("format")}
        )
    expected = {manifest["database"]["member"]: manifest["database"]["sha256"]}
    expected.update({f"{FILES}/{name}": sha for name, sha in manifest["files"].items()})
    for member, sha in expected.items():
        path = into / member
        if not path.is_file() or _sha256(path) != sha:
            raise BackupError(
                _("the backup is damaged: %(member)s does not match its manifest")
                % {"member": member}
            )
    return manifest


def restore(archive: Path) -> dict[str, Any]:
    """Into the configured database, which must be empty, and the files' folder."""
    db = connection.settings_dict
    with tempfile.TemporaryDirectory(prefix="hutor-restore-") as work:
        folder = Path(work)
        manifest = unpack(archive, folder)
        if manifest["engine"] != connection.vendor:
            raise BackupError(
                _("this is a %(engine)s backup; the configured database is %(vendor)s")
                % {"engine": manifest["engine"], "vendor": connection.vendor}
            )
        with connection.cursor() as cursor:
            present = _tables(cursor, connection.vendor)
        if present:
            raise BackupError(
                _("the database is not empty (%(count)s tables): restore into an empty one")
                % {"count": len(present)}
            )
        if connection.vendor == "postgresql":
            connection.close()
            _pg_restore(folder / PG_DUMP, db)
        else:
            connection.close()
            source = sqlite3.connect(folder / SQLITE_COPY)
            target = sqlite3.connect(str(db["NAME"]))
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        _restore_files(folder / FILES)
    return manifest


def _restore_files(source: Path) -> None:
    if not source.is_dir():
        return
    target = files_dir()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)


def verify(archive: Path) -> list[str]:
    """Restore into a scratch database, run `ledger check` and compare the figures there with
    the manifest; the differences (empty: the backup is good). The scratch database is
    dropped (PostgreSQL) or deleted (SQLite) afterwards."""
    db = connection.settings_dict
    with tempfile.TemporaryDirectory(prefix="hutor-verify-") as work:
        folder = Path(work)
        manifest = unpack(archive, folder)
        scratch_name = ""
        if manifest["engine"] == "postgresql":
            if connection.vendor != "postgresql":
                raise BackupError(_("verifying a PostgreSQL backup needs DATABASE_URL=postgres://"))
            scratch_name = f"hutor_verify_{uuid.uuid4().hex[:12]}"
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{scratch_name}"')
            scratch = {**db, "NAME": scratch_name}
            url = _pg_dsn(scratch)
        else:
            url = f"sqlite:///{folder / SQLITE_COPY}"
        try:
            if scratch_name:
                _pg_restore(folder / PG_DUMP, scratch)
            return _compare(manifest, url, folder)
        finally:
            if scratch_name:
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')


def _compare(manifest: dict[str, Any], url: str, folder: Path) -> list[str]:
    env = {**os.environ, "DATABASE_URL": url, "HUTOR_SUPPORT_FILES_DIR": str(folder / FILES)}
    env["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE", "hutor.settings")
    hutor = [sys.executable, "-m", "hutor.cli"]
    problems = []
    check = subprocess.run(  # noqa: S603 - this very program, no shell
        [*hutor, "ledger", "check"], env=env, capture_output=True, text=True, check=False
    )
    if check.returncode:
        lines = (check.stdout + check.stderr).strip().splitlines()
        problems.append(_("ledger check failed: %(report)s") % {"report": " | ".join(lines)})
    inspect = subprocess.run(  # noqa: S603 - this very program, no shell
        [*hutor, "backup", "inspect"], env=env, capture_output=True, text=True, check=False
    )
    if inspect.returncode:
        problems.append(
            _("the restored database cannot be read: %(error)s")
            % {"error": " ".join(inspect.stderr.split())[-300:]}
        )
        return problems
    found = json.loads(inspect.stdout)
    for section in ("tables", "ledger"):
        for key in sorted(set(manifest[section]) | set(found[section])):
            want, got = manifest[section].get(key), found[section].get(key)
            if want != got:
                problems.append(
                    _("%(key)s: %(got)s in the restored database, %(want)s in the manifest")
                    % {"key": key, "got": got, "want": want}
                )
    return problems


def inspect_current() -> dict[str, Any]:
    with connection.cursor() as cursor:
        return describe(cursor, connection.vendor)
