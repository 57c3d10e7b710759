"""Fixed read statements for the hot screens (the panel's home page: docs/performance.md, "The
panel home page").

The ORM compiles a queryset's SQL anew for every request, which costs ten times what the
database takes to run an indexed lookup. A `Read` is a SELECT whose text is written once per
process, run through the default connection's cursor (so the debug cursor, execute wrappers and
query counts see it like any other), with its columns converted exactly as the ORM converts
them (a decimal on SQLite comes back as the same quantized Decimal, a datetime as the same aware
one): the rows are plain tuples for the caller to make its small records of.

Only for reads of the default database with a fixed shape; the parameters are always bound,
never formatted into the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from hutor.core.statements import Converter, convert, db_converters

Row = tuple[Any, ...]
# (position in the row, the column expression, its converters in the ORM's order)
_Conversion = tuple[int, Any, tuple[Converter, ...]]


def table(model: type[Model]) -> str:
    """The model's table name, quoted for the default connection."""
    return connection.ops.quote_name(model._meta.db_table)


def field(model: type[Model], name: str) -> Field[Any, Any]:
    """The model's concrete field `name` (a column of its table)."""
    found = model._meta.get_field(name)
    assert isinstance(found, Field), f"{model.__name__}.{name} is no column"
    return found


def column(model: type[Model], name: str, alias: str = "") -> str:
    """The quoted column of the field `name` of `model`, qualified by `alias` when given."""
    quoted = connection.ops.quote_name(field(model, name).column)
    return f"{alias}.{quoted}" if alias else quoted


class Read:
    """A SELECT of fixed text: `sql()` builds it (once per process and database vendor) and
    `fields` are the model fields its columns hold, in order (None for a column that needs no
    conversion: an id, a count)."""

    def __init__(self, sql: Callable[[], str], fields: Sequence[Field[Any, Any] | None]) -> None:
        self._sql = sql
        self._fields = tuple(fields)
        self._prepared: dict[str, tuple[str, list[_Conversion]]] = {}

    def _prepare(self) -> tuple[str, list[_Conversion]]:
        conversions: list[_Conversion] = []
        for index, field in enumerate(self._fields):
            if field is None:
                continue
            expression = field.cached_col
            functions = db_converters(expression)
            if functions:
                conversions.append((index, expression, functions))
        prepared = (self._sql(), conversions)
        self._prepared[connection.vendor] = prepared
        return prepared

    def rows(self, params: Sequence[Any]) -> list[Row]:
        """The statement's rows for `params`, each value as the ORM would have read it."""
        sql, conversions = self._prepared.get(connection.vendor) or self._prepare()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not conversions or not rows:
            return rows
        return [tuple(convert(row, conversions)) for row in rows]
