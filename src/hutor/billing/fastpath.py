"""The renewal step's row writer: COPY on PostgreSQL (with asynchronous commits), one prepared
INSERT by executemany on SQLite.

Used by billing.renewals for the rows it writes by the hundred thousand, and through it by
the apps that own those tables (invoices.issuing.issue_invoice_rows, ledger.post_rows,
services' apply_paid_renewals, notifications.enqueue_many, core.events.publish_rows,
webhooks.fanout), which take `bulk_insert` (core.rows.RowWriter) as their `insert` and hand it
plain tuples: since 1 Dec 2026 no model instance is built for a batch's rows
(docs/performance.md).

`write_rows()` writes tuples with `COPY ... FROM STDIN` on PostgreSQL: one statement per table
and batch, no per-value quoting in Python (psycopg formats the rows in C) and no SQL to parse.
Where rows of one batch reference each other, their writer draws the primary keys first from
the table's own sequence in one query (core.sequences.reserve_ids) and names `id`. The
columns and values come from Django's public field API, as bulk_create takes them: each value
converted by `field.get_db_prep_save(value, connection)`, the fields not named at their
defaults. A conversion is a pure function of the value, so within one call each field
converts each distinct value once: the dates, amounts, codes, timestamps and snapshots a
batch repeats a thousand times cost one conversion each (_convert); the JSON (events,
snapshots, email parameters) and UUIDs (event ids), distinct in every row, by one direct call
each (_direct), and on SQLite the decimals as the text the driver would bind.
billing/tests/test_fastpath.py proves the rows are the same as the portable path's.

COPY fires the same constraints, foreign key checks, triggers and unique indexes as INSERT; it
has no ON CONFLICT, so `skip_existing` (for bulk_create(ignore_conflicts=True)'s one use here,
the outbox) leaves out rows whose unique key is already present, read under the batch's locks.
A row inserted concurrently between that read and the COPY makes the COPY fail with a unique
violation: the batch is then retried service by service, and the retry reads it and skips it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    CharField,
    Field,
    ForeignKey,
    IntegerField,
    JSONField,
    Model,
    TextField,
    UUIDField,
)

from hutor.core.rows import Row


def enabled() -> bool:
    """Whether the fast path applies to the current database connection."""
    return connection.vendor == "postgresql"


def relax_commit() -> None:
    """`SET LOCAL synchronous_commit = off` for the current (batch) transaction, on PostgreSQL.

    The commit then returns before its WAL record is flushed to disk: a crash of the database
    server (not of this process) within a fraction of a second may lose the last batches that
    reported success, never part of one (each transaction stays atomic and the database
    consistent). That loses nothing here: the billing run finds its work from the data, so the
    next run (and every run is safe to repeat) renews the services of a lost batch again, with
    the same invoice numbers, since the sequence block rolled back with it. And nothing outside
    the database acts on a batch before it is durable: the outbox worker and the provisioning
    worker mark their rows in transactions that commit synchronously, and PostgreSQL flushes
    all WAL up to such a commit, which includes every earlier asynchronous one they could see.
    """
    if enabled():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _convert(field: Field[Any, Any], raw: list[Any], db: BaseDatabaseWrapper) -> list[Any]:
    """The database values of `raw`, values of `field`: `field.get_db_prep_save(value, db)`
    computed once per distinct value, or not at all where it is the identity.

    Sound because a conversion is a pure function of the value: equal values of one class
    convert to equal database values (a Decimal's scale, an aware datetime's zone, are the
    same number and instant to the column). Unhashable values (a JSON field's dicts, such as
    the provider's snapshot every invoice of a batch shares) are told apart by identity, which
    holds while the objects are held here. `db` is the connection itself, not
    django.db.connection (a proxy that looks the connection up on every attribute). An
    integer, text or foreign key field converts an int, a str or None to itself (its
    get_prep_value is int() or str() of it), so those columns are passed as they are.
    """
    # By the values' types (a few per column), not value by value.
    kinds = set(map(type, raw))
    kinds.discard(type(None))
    plain = _plain(field)
    if plain is not None and bool not in kinds and all(issubclass(k, plain) for k in kinds):
        return raw
    direct = _direct(field, kinds, db)
    if direct is not None:
        return direct(raw)
    prep = field.get_db_prep_save
    try:
        if len(kinds) <= 1:
            # One type, None aside (nearly every column): equal values are then equal values
            # of that type, so the value alone is the key.
            converted = {value: prep(value, db) for value in dict.fromkeys(raw)}
            if kinds == {Decimal} and db.vendor == "sqlite":
                # The sqlite3 driver binds a Decimal as str() of it (Django registers that
                # adapter), called for every value it binds: here once per distinct value.
                converted = {k: v if v is None else str(v) for k, v in converted.items()}
            return list(map(converted.__getitem__, raw))
        # Mixed types: keyed by type too (1 == True == Decimal(1) are three values).
        keys = list(zip(map(type, raw), raw, strict=True))
        converted = {key: prep(key[1], db) for key in set(keys)}
        return list(map(converted.__getitem__, keys))
    except TypeError:  # unhashable
        by_id: dict[int, Any] = {}
        for value in raw:
            if id(value) not in by_id:
                by_id[id(value)] = prep(value, db)
        return [by_id[id(value)] for value in raw]


def _direct(
    field: Field[Any, Any], kinds: set[type], db: BaseDatabaseWrapper
) -> Callable[[list[Any]], list[Any]] | None:
    """What `field.get_db_prep_save(value, db)` comes to for a column of these kinds of value,
    where Django's own conversion is a few layers of calls around one; None elsewhere.

    - A JSON field with Django's encoder: `json.dumps(value)`, the text SQLite stores (Django's
      adapt_json_value) and the text COPY hands PostgreSQL for a jsonb column (where Django's
      Jsonb wrapper is dumped by json.dumps too), by json.dumps itself, without the layers
      of calls around it: the same text byte for byte. Each distinct object once (the
      provider's snapshot every invoice of a batch shares). The JSON of a batch's events,
      snapshots and email parameters (400,000 values in a 100,000 run, each distinct) was the
      largest conversion left (docs/performance.md).
    - A UUID field given UUIDs: the UUIDs themselves where the database has the type
      (PostgreSQL), else their hex (SQLite), as UUIDField.get_db_prep_value gives them.

    Only for Django's own field classes (_djangos), as _plain."""
    if not _djangos(field):
        return None
    if type(field) is JSONField and field.encoder is None and kinds <= {dict, list}:
        # (Imported here: this module may be imported before django.db.models, which the
        # backend's operations module needs loaded first.)
        from django.db.backends.base.operations import BaseDatabaseOperations

        adapt = type(db.ops).adapt_json_value
        if adapt is BaseDatabaseOperations.adapt_json_value or db.vendor == "postgresql":
            return _json
        return None
    if type(field) is UUIDField and kinds == {uuid.UUID}:
        if db.features.has_native_uuid_field:
            return list
        return _hexes
    return None


def _json(raw: list[Any]) -> list[Any]:
    """json.dumps() of each value, None as None (SQL NULL, as JSONField.get_db_prep_save)."""
    texts: dict[int, str] = {}
    out: list[Any] = []
    for value in raw:
        if value is None:
            out.append(None)
            continue
        text = texts.get(id(value))
        if text is None:
            text = texts[id(value)] = json.dumps(value)
        out.append(text)
    return out


def _hexes(raw: list[Any]) -> list[Any]:
    return [None if value is None else value.hex for value in raw]


def _djangos(field: Field[Any, Any]) -> bool:
    """Whether `field` converts values by Django's own methods (not a field of its own that
    overrides them: an encrypted text field)."""
    kind = type(field)
    return all(
        getattr(kind, name).__module__.startswith("django.")
        for name in ("get_prep_value", "get_db_prep_value", "get_db_prep_save")
    )


def _plain(field: Field[Any, Any]) -> type | None:
    """int or str: the values `field` stores as they are (see _convert); None for any other
    field, and for any field that converts values its own way (an encrypted text field)."""
    if isinstance(field, ForeignKey):
        field = field.target_field
    if not _djangos(field):
        return None
    if isinstance(field, BooleanField):
        return None
    if isinstance(field, IntegerField):
        return int
    if isinstance(field, CharField | TextField):
        return str
    return None


def write_rows(
    model: type[Model],
    names: Sequence[str],
    rows: Sequence[Row],
    *,
    skip_existing: str | None = None,
) -> None:
    """Insert plain tuples, a value per name of `names` (attnames of `model`'s fields): COPY
    on PostgreSQL, one prepared INSERT by executemany on SQLite, no model instance built.

    The model's other fields take their defaults, as a model instance would (a callable
    default called per row: an Event's uuid4), and every value is converted by its field as
    bulk_create converts it (_convert); the primary key is the database's unless named.
    `skip_existing` (a unique field among `names`) leaves out rows whose value is already in
    the table, as copy_insert() does."""
    if not rows:
        return
    meta = model._meta
    by_name = {f.attname: f for f in meta.concrete_fields}
    fields = [by_name[name] for name in names]
    if skip_existing is not None:
        k = list(names).index(skip_existing)
        present = set(
            model._default_manager.filter(
                **{f"{skip_existing}__among": {row[k] for row in rows}}
            ).values_list(skip_existing, flat=True)
        )
        rows = [row for row in rows if row[k] not in present]
        if not rows:
            return
    db = transaction.get_connection()
    columns = [[row[k] for row in rows] for k in range(len(fields))]
    named = set(names)
    for field in meta.concrete_fields:
        if field.attname in named or (field.primary_key and not field.has_default()):
            continue
        fields.append(field)
        if field.has_default() and callable(field.default):
            columns.append([field.get_default() for _row in rows])
        else:
            columns.append([field.get_default()] * len(rows))
    values = zip(*[_convert(f, c, db) for f, c in zip(fields, columns, strict=True)], strict=True)
    q = db.ops.quote_name
    listed = ", ".join(q(f.column) for f in fields)
    with db.cursor() as cursor:
        if db.vendor == "postgresql" and enabled():
            with cursor.cursor.copy(f"COPY {q(meta.db_table)} ({listed}) FROM STDIN") as copy:
                write = copy.write_row
                for row in values:
                    write(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {q(meta.db_table)} ({listed}) VALUES ({marks})",  # noqa: S608 (names from the model)
                list(values),
            )


class _Writer:
    """The billing run's row writer (core.rows.RowWriter): write_rows."""

    def rows(
        self,
        model: type[Model],
        names: Sequence[str],
        rows: Sequence[Row],
        *,
        skip_existing: str | None = None,
    ) -> None:
        write_rows(model, names, rows, skip_existing=skip_existing)


bulk_insert = _Writer()
