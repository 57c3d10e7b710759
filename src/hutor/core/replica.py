"""Reads that may go to a PostgreSQL streaming replica (DATABASE_REPLICA_URL).

A replica lags its primary by a moment and refuses writes, so only pages that read and never
act on what they read use it: the desk's search and its reports. Code asks for it explicitly:

    with replica.reading():
        results = search.search(query)

Under `reading()` every ORM read goes to the "replica" database alias, and any ORM write raises
WriteWhileReading: a read that is followed by a money write must see the primary's latest rows
(and lock them there), so it never runs here. Outside `reading()` everything goes to "default".

The router (ReplicaRouter) is installed by settings only when DATABASE_REPLICA_URL is set;
without it `reading()` changes nothing and every query goes to the primary. Raw SQL through a
connection's cursor bypasses routers: code under `reading()` uses the ORM only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"

_reading: ContextVar[bool] = ContextVar("hutor_replica_reading", default=False)


class WriteWhileReading(RuntimeError):
    """A write was attempted under replica.reading(): a programming error, never user input."""


@contextmanager
def reading() -> Iterator[None]:
    """Send this block's reads to the replica (when one is configured); forbid its writes."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def is_reading() -> bool:
    return _reading.get()


def configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Reads under reading() to the replica alias; everything else, and every migration, to
    the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return REPLICA if _reading.get() and configured() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        if _reading.get():
            raise WriteWhileReading(
                f"a write to {model._meta.label} inside replica.reading()"  # type: ignore[attr-defined]
            )
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is a copy of the primary: an object read from either relates to both.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # A replica is read-only and receives the primary's schema by replication.
        return db != REPLICA
