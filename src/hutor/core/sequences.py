"""Gap-free, collision-free document numbers from row-locked counters (never MAX()+1)."""

from django.db import transaction
from django.db.models import Model

from hutor.core.models import Sequence


def next_value(name: str, *, start: int = 1) -> int:
    """Return the next value of sequence `name` (created at `start` on first use).

    Must run inside the transaction that stores the numbered document: the counter's row stays
    locked until that transaction ends, and rolls back with it if the document does not commit.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must run inside the transaction that uses the number")
    # Create the counter if absent; ON CONFLICT DO NOTHING makes concurrent first uses safe.
    Sequence.objects.bulk_create([Sequence(name=name, next_value=start)], ignore_conflicts=True)
    counter = Sequence.objects.select_for_update().get(name=name)
    value = counter.next_value
    counter.next_value = value + 1
    counter.save(update_fields=["next_value"])
    return value


def next_values(name: str, count: int, *, start: int = 1) -> range:
    """Take a block of `count` consecutive values of sequence `name` in one row update.

    The same guarantees as next_value(): the counter row is locked until the caller's
    transaction ends, and the block rolls back with it, so the numbers are gap-free as long as
    the caller uses every value it took.
    """
    if count < 1:
        raise ValueError("a block needs at least one value")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_values() must run inside the transaction that uses the numbers")
    Sequence.objects.bulk_create([Sequence(name=name, next_value=start)], ignore_conflicts=True)
    counter = Sequence.objects.select_for_update().get(name=name)
    first = counter.next_value
    counter.next_value = first + count
    counter.save(update_fields=["next_value"])
    return range(first, first + count)


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """Draw `count` primary keys from `model`'s own id sequence, in one query.

    For writers that insert rows with their ids already set (COPY), so rows of one statement
    can reference each other. Values are taken as INSERT would take them (nextval), never
    reused, and not rolled back: like the ids of a rolled-back INSERT, they leave gaps, which
    primary keys may have (document numbers are next_values()'s business, not these).
    """
    connection = transaction.get_connection()
    if count < 1:
        return []
    meta = model._meta
    if connection.vendor == "sqlite":
        # SQLite has no sequence to draw from: the ids after the larger of the table's max id
        # and its AUTOINCREMENT counter, under the write lock the transaction holds (BEGIN
        # IMMEDIATE). The caller inserts them in this transaction, before reserving again.
        if not connection.in_atomic_block:
            raise RuntimeError("reserve_ids() on SQLite needs the caller's transaction")
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({q(meta.pk.column)}) FROM {q(meta.db_table)}")  # noqa: S608 (names from the model)
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
            row = cursor.fetchone()
        start = max(top, row[0] if row else 0) + 1
        return list(range(start, start + count))
    if connection.vendor != "postgresql":
        raise RuntimeError("reserve_ids() needs PostgreSQL or SQLite")
    key = (connection.settings_dict["NAME"], meta.db_table, meta.pk.column)
    sequence = _id_sequences.get(key)
    with connection.cursor() as cursor:
        if sequence is None:
            # Looked up once: pg_get_serial_sequence() searches the catalog each time it is
            # called, which inside the query below would be once per id.
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [connection.ops.quote_name(meta.db_table), meta.pk.column],
            )
            sequence = _id_sequences[key] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
        )
        return [row[0] for row in cursor.fetchall()]


# The id sequence of each (database, table, column), as pg_get_serial_sequence() names it.
_id_sequences: dict[tuple[str, str, str], str] = {}
