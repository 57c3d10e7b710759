"""The row writer the billing run passes down to the apps whose tables its batches fill.

Each app stays the one writer of its tables (it decides what a row holds); the writer only
decides how rows reach the database (billing.fastpath: COPY on PostgreSQL, one prepared INSERT
by executemany on SQLite). Plain tuples, not model instances: a model instance costs more to
build than the rest of its row's way into the database. What a receiver of a batch's signal
reads of the rows goes as small records (invoices.issuing.IssuedInvoice, core.events.
PublishedRow), never as model instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.db.models import Model

Row = tuple[Any, ...]


class RowWriter(Protocol):
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
