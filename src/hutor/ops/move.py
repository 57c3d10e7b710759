"""`hutor migrate-database --to postgres://…`: everything of this (SQLite) database into an
empty PostgreSQL database (docs/operations.md, "From SQLite to PostgreSQL").

The target gets its schema from the migrations (so the ledger's append-only triggers and every
constraint are PostgreSQL's own), then the rows of every table in one transaction (foreign keys
are checked at its commit: Django makes them DEFERRABLE INITIALLY DEFERRED), read through the
models' fields (decimals, times and JSON converted as Django stores them) and written with the
target's own preparation; then each table's id sequence is set past its highest id. The source
is only read, inside one transaction (SQLite: the write lock, so nothing changes meanwhile).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import dj_database_url
from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.utils.translation import gettext as _

from hutor.ledger import guards
from hutor.ops.backup import BackupError, _tables, describe

TARGET = "hutor_move_target"
CHUNK = 2000


def connect(url: str) -> Any:
    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError(_("--to must be a postgres:// URL"))
    connections.settings[TARGET] = connections.configure_settings({"default": config})["default"]
    return connections[TARGET]


def _models() -> Iterator[type[models.Model]]:
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            yield model


def move(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copy; returns the source's and the target's figures (row counts, ledger totals)."""
    source = connections["default"]
    target = connect(url)
    with target.cursor() as cursor:
        present = _tables(cursor, "postgresql")
    if present:
        raise BackupError(
            _("the target database is not empty (%(count)s tables): use an empty one")
            % {"count": len(present)}
        )
    _migrate(url)
    with (
        transaction.atomic(using="default"),
        transaction.atomic(using=TARGET),
        target.cursor() as cursor,
    ):
        # What the migrations and their signals wrote (content types, permissions) is
        # replaced by the source's rows, ids included; the ledger is empty here.
        filled = [t for t in _tables(cursor, "postgresql") if t != "django_migrations"]
        for table in filled:
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')  # noqa: S608
            if cursor.fetchone()[0]:
                cursor.execute(f'TRUNCATE "{table}" CASCADE')
        for model in _models():
            _copy(model, target, cursor)
        for sql in target.ops.sequence_reset_sql(no_style(), list(_models())):
            cursor.execute(sql)
        _copy_cache(source, cursor)
    with source.cursor() as cursor:
        before = describe(cursor, source.vendor)
    with target.cursor() as cursor:
        after = describe(cursor, "postgresql")
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
            ["%_append_only"],
        )
        guarded = {row[0] for row in cursor.fetchall()}
    missing = set(guards.TABLES) - guarded
    if missing:
        raise BackupError(
            _("the ledger's guards are missing on %(tables)s") % {"tables": ", ".join(missing)}
        )
    target.close()
    return before, after


def _migrate(url: str) -> None:
    """The target's schema, by `hutor migrate` in a process whose default database is the
    target (data migrations may read their models through the default connection)."""
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "hutor.cli", "migrate", "--no-input", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BackupError(
            _("migrating the target failed: %(error)s")
            % {"error": " ".join(done.stderr.split())[-500:]}
        )


def _copy(model: type[models.Model], target: Any, cursor: Any) -> None:
    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})'  # noqa: S608
    rows = (
        model._base_manager.using("default")
        .order_by("pk")
        .values_list(*[f.attname for f in fields])
    )
    batch: list[list[Any]] = []
    for row in rows.iterator(chunk_size=CHUNK):
        batch.append(
            [f.get_db_prep_save(v, connection=target) for f, v in zip(fields, row, strict=True)]
        )
        if len(batch) >= CHUNK:
            cursor.executemany(sql, batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)


def _copy_cache(source: Any, cursor: Any) -> None:
    """The cache table (throttling counters, used one-time codes) is no model's: copied as is."""
    from django.conf import settings

    table = settings.CACHE_TABLE
    with source.cursor() as read:
        if table not in _tables(read, source.vendor):
            return
        read.execute(f'SELECT cache_key, value, expires FROM "{table}"')  # noqa: S608
        rows = read.fetchall()
    if rows:
        cursor.executemany(
            f'INSERT INTO "{table}" (cache_key, value, expires) VALUES (%s, %s, %s)',  # noqa: S608
            rows,
        )
