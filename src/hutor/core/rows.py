"""The row writer the billing run passes down to the apps whose tables its batches fill.

Each app stays the one writer of its tables (it decides what a row holds); the writer only
decides how rows reach the database (billing.fastpath: COPY on PostgreSQL, one prepared INSERT
by executemany on SQLite). Model instances where the caller needs them afterwards (their ids,
a signal's receivers), plain tuples where it does not: a model instance costs more to build
than the rest of its row's way into the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.db.models import Model

Row = tuple[Any, ...]


class RowWriter(Protocol):
    def __call__(self, objs: Sequence[Model], *, skip_existing: str | None = None) -> None:
        """Insert unsaved instances of one model and set their primary keys (bulk_create's
        job), leaving out those whose `skip_existing` unique field is already in the table."""

    def rows(
        self,
        model: type[Model],
        names: Sequence[str],
        rows: Sequence[Row],
        *,
        skip_existing: str | None = None,
    ) -> None:
        """Insert plain tuples into `model`'s table: each a value per name in `names` (the
        model's field attnames, its primary key left to the database), Python values as the
        model's fields take them (converted as bulk_create converts them). Rows whose
        `skip_existing` value is already in the table are left out."""
