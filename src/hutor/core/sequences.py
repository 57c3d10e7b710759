"""Gap-free, collision-free document numbers from row-locked counters (never MAX()+1)."""

from django.db import transaction

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
