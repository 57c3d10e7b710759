"""Rows read and written by hand: each app's lean paths for its own tables on a hot path.

On a payment notification the ORM's building of SQL and querysets cost more than the database
did (docs/performance.md, "Payment notifications"); an app writes the few statements of such a
path itself, through the connection's cursor and parametrised, and uses these helpers for what
the ORM would still have done right: the columns of a model in its fields' order, the values
converted from the database (Decimal, aware datetimes, JSON, decrypted secrets) by the same
converters the ORM applies, instances built by `Model.from_db`, and values written through
each field's `get_db_prep_save` (so a row holds what `save()` or `bulk_create()` would write).

The helpers only build and convert; which rows an app reads or writes, and the rules, stay in
that app's own functions (one writer per table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from django.db import connection, router
from django.db.models import Field, ForeignKey, Model
from django.db.models.expressions import Col
from django.db.models.fields import AutoFieldMixin

Converter = Callable[[Any, Any, Any], Any]
T = TypeVar("T")


def db_converters(expression: Col) -> tuple[Converter, ...]:
    """The ORM's converters of a plain column read from the database, in its order
    (SQLCompiler.get_converters): the backend's, then the field's."""
    return tuple(connection.ops.get_db_converters(expression)) + tuple(
        expression.get_db_converters(connection)
    )


def convert(
    values: Sequence[Any], conversions: Sequence[tuple[int, Col, Sequence[Converter]]]
) -> list[Any]:
    """One row's values as the ORM would have read them: each (position, column, converters)
    of `conversions` applied to its value."""
    values = list(values)
    for index, expression, converters in conversions:
        value = values[index]
        for function in converters:
            value = function(value, expression, connection)
        values[index] = value
    return values


@dataclass(frozen=True)
class Columns:
    """Some of a model's columns as a statement's select list reads them, and how to build the
    model's instance from such a row."""

    model: type[Model]
    attnames: tuple[str, ...]  # in the model's concrete fields' order (Model.from_db's)
    sql: str  # "table"."column", ... (the table named by `alias` when given)
    converters: tuple[tuple[int, Col, tuple[Converter, ...]], ...]  # only the fields that have

    def build(self, values: Sequence[Any]) -> Any:
        """The model instance of one row read with `sql` (its values as the cursor gave them)."""
        return self.model.from_db(connection.alias, self.attnames, convert(values, self.converters))


@cache
def columns(
    model: type[Model], names: frozenset[str] | None = None, alias: str | None = None
) -> Columns:
    """The columns of `model` named by `names` (attnames; all its concrete fields by default),
    kept per process: the backend does not change in one. The converters are the ORM's for a
    plain column (SQLCompiler.get_converters): the backend's, then the field's."""
    quote = connection.ops.quote_name
    table = alias or model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if names is None or f.attname in names]
    if names is not None and len(fields) != len(names):
        raise ValueError(f"{model.__name__} has no field among {sorted(names)}")
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(table)
        found = db_converters(expression)
        if found:
            converters.append((index, expression, found))
    return Columns(
        model,
        tuple(f.attname for f in fields),
        ", ".join(f"{quote(table)}.{quote(f.column)}" for f in fields),
        tuple(converters),
    )


@dataclass(frozen=True)
class Joined:
    """A model's columns with those of the row one of its foreign keys names (an INNER JOIN:
    the key is not null), built as select_related() builds them: the related instance cached on
    the model's."""

    sql: str  # the select list: the model's columns, then the related model's
    source: str  # "table" INNER JOIN "related" ON ..., for the FROM clause
    table: str  # the model's table, quoted (for the WHERE clause)
    own: Columns
    related: Columns
    field: Any  # the foreign key

    def build(self, values: Sequence[Any]) -> Any:
        split = len(self.own.attnames)
        made = self.own.build(values[:split])
        self.field.set_cached_value(made, self.related.build(values[split:]))
        return made


@cache
def joined(model: type[Model], name: str) -> Joined:
    """`model` joined with the row its foreign key `name` points at (kept per process)."""
    field = model._meta.get_field(name)
    if not isinstance(field, ForeignKey):
        raise ValueError(f"{model.__name__}.{name} is not a foreign key")
    related: type[Model] = field.related_model  # type: ignore[assignment]
    quote = connection.ops.quote_name
    own, other = columns(model), columns(related)
    table, joined_table = quote(model._meta.db_table), quote(related._meta.db_table)
    return Joined(
        f"{own.sql}, {other.sql}",
        f"{table} INNER JOIN {joined_table}"
        f" ON {joined_table}.{quote(field.target_field.column)} = {table}.{quote(field.column)}",
        table,
        own,
        other,
        field,
    )


class Kept(Generic[T]):
    """What a process makes of a few rows of rarely changing configuration (enabled webhook
    endpoints, cash registers) that it reads on every call: the rows are read each time (one
    short statement, so a change committed by any process counts from its commit on), and
    `make` builds from them again only when they differ from the last ones read (decrypting,
    parsing, model instances). What it made is shared by the threads of the process: callers
    read it and never change it."""

    def __init__(self, make: Callable[[list[tuple[Any, ...]]], T]) -> None:
        self.make = make
        self._kept: tuple[list[tuple[Any, ...]], T] | None = None

    def read(self, sql: str, params: Sequence[Any] = ()) -> T:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [tuple(row) for row in cursor.fetchall()]
        kept = self._kept
        if kept is None or rows != kept[0]:
            kept = self._kept = (rows, self.make(rows))
        return kept[1]


@dataclass(frozen=True)
class _Insert:
    sql: str  # INSERT INTO "table" (...) VALUES without the rows' placeholders
    row: str  # (%s, ...)
    fields: tuple[Field[Any, Any], ...]
    given: tuple[bool, ...]  # per field: its value comes from the caller (else its default)


@cache
def _insert(model: type[Model], names: tuple[str, ...]) -> _Insert:
    meta = model._meta
    # An auto-incremented key not given is the database's; any other field not given takes
    # its default here (a UUID key its uuid4), as bulk_create() gives it.
    fields = tuple(
        f for f in meta.concrete_fields if f.attname in names or not isinstance(f, AutoFieldMixin)
    )
    unknown = set(names) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    quote = connection.ops.quote_name
    listed = ", ".join(quote(f.column) for f in fields)
    return _Insert(
        f"INSERT INTO {quote(meta.db_table)} ({listed}) VALUES ",  # noqa: S608
        "(" + ", ".join(["%s"] * len(fields)) + ")",
        fields,
        tuple(f.attname in names for f in fields),
    )


def insert(
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts: bool = False,
) -> None:
    """INSERT `rows` (each a value per attname, all rows naming the same fields) into `model`'s
    table in one statement; every other field takes its default, as bulk_create() gives it (the
    primary key, unless given, is the database's). `skip_conflicts`: a row that would break a
    unique constraint is left out (ON CONFLICT DO NOTHING, bulk_create's ignore_conflicts)."""
    if not rows:
        return
    router.db_for_write(model)  # the routers' refusals hold as for the ORM's writes (replica)
    plan = _insert(model, tuple(rows[0]))
    size = max(1, connection.ops.bulk_batch_size(list(plan.fields), rows))  # SQLite's limit
    conflicts = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params: list[Any] = []
            for row in batch:
                for field, given in zip(plan.fields, plan.given, strict=True):
                    value = row[field.attname] if given else field.get_default()
                    params.append(field.get_db_prep_save(value, connection))
            cursor.execute(plan.sql + ", ".join([plan.row] * len(batch)) + conflicts, params)
