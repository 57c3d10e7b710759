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
