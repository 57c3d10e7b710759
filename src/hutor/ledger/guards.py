"""Database triggers that make journal entries and postings append-only.

The model layer already refuses updates and deletes; these stop everything else that talks to
the database (a raw SQL statement, a careless script, another application). The test suite
proves they fire. `flush` (ledger/management/commands/flush.py) lifts them for its own run
only, since emptying the whole database is what it is for.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLES = ("ledger_journalentry", "ledger_posting")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % rows are append-only (% refused); post a reversing entry',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
"""


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()"
                )
        elif connection.vendor == "sqlite":
            for table in TABLES:
                for operation in ("UPDATE", "DELETE"):
                    name = f"{table}_no_{operation.lower()}"
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} BEFORE {operation} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, 'ledger: {table} rows are append-only "
                        f"({operation} refused); post a reversing entry'); END"
                    )
        else:  # pragma: no cover - Hutor supports these two databases
            raise RuntimeError(f"no ledger guards for database {connection.vendor!r}")


def drop(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        elif connection.vendor == "sqlite":
            for table in TABLES:
                for operation in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
