import threading

import pytest
from django.db import connection, transaction

from hutor.core.models import Sequence
from hutor.core.sequences import next_value


@pytest.mark.django_db
def test_a_sequence_starts_where_asked_and_counts_up():
    with transaction.atomic():
        assert next_value("test-a", start=100) == 100
        assert next_value("test-a", start=100) == 101
    with transaction.atomic():
        assert next_value("test-a") == 102
        assert next_value("test-b") == 1


@pytest.mark.django_db
def test_a_rolled_back_number_is_handed_out_again_so_there_are_no_gaps():
    with transaction.atomic():
        assert next_value("test-c") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_value("test-c") == 2
        raise RuntimeError("the document failed to save")
    with transaction.atomic():
        assert next_value("test-c") == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_refuses():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_value("test-d")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_get_distinct_gap_free_numbers():
    """8 threads x 200 numbers, each drawn in its own transaction on its own connection."""
    threads, per_thread = 8, 200
    drawn: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    drawn[i].append(next_value("concurrent", start=1))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    numbers = sorted(n for chunk in drawn for n in chunk)
    assert numbers == list(range(1, threads * per_thread + 1))  # no duplicates, no gaps
    assert Sequence.objects.get(name="concurrent").next_value == threads * per_thread + 1
