"""Entries and postings are append-only: in the model layer, and in the database itself."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import Error, connection, transaction

from hutor.ledger import actions, checks
from hutor.ledger.exceptions import ImmutableLedger
from hutor.ledger.models import JournalEntry, Posting
from hutor.ledger.tests.ledger_helpers import balance_of, ledger_state, top_up


def raw_sql(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def entry(customer):
    entry, _ = top_up(customer, "100.00", key="payment:1")
    return entry


# --- The model layer ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_saved_posting_cannot_be_changed(entry):
    posting = entry.postings.get(amount__gt=0)
    posting.amount = Decimal("1000000.00")
    with pytest.raises(ImmutableLedger, match="cannot be changed"):
        posting.save()
    posting.refresh_from_db()
    assert posting.amount == Decimal("100.00")


@pytest.mark.django_db
def test_a_saved_entry_cannot_be_changed(entry):
    entry.memo = "rewritten history"
    with pytest.raises(ImmutableLedger, match="cannot be changed"):
        entry.save()
    with pytest.raises(ImmutableLedger):
        entry.save(update_fields=["memo"])
    entry.refresh_from_db()
    assert entry.memo == ""


@pytest.mark.django_db
def test_postings_and_entries_cannot_be_deleted_one_by_one(entry):
    before = ledger_state()
    with pytest.raises(ImmutableLedger, match="cannot be deleted"):
        entry.postings.first().delete()
    with pytest.raises(ImmutableLedger, match="cannot be deleted"):
        entry.delete()
    assert ledger_state() == before


@pytest.mark.django_db
def test_querysets_refuse_update_and_delete(entry):
    before = ledger_state()
    for postings in (Posting.objects.all(), Posting.objects.filter(entry=entry), entry.postings):
        with pytest.raises(ImmutableLedger, match="Posting rows cannot be updated"):
            postings.update(amount=0)
        with pytest.raises(ImmutableLedger, match="Posting rows cannot be deleted"):
            postings.delete()
    for entries in (JournalEntry.objects.all(), JournalEntry.objects.filter(pk=entry.pk)):
        with pytest.raises(ImmutableLedger, match="JournalEntry rows cannot be updated"):
            entries.update(memo="rewritten history")
        with pytest.raises(ImmutableLedger, match="JournalEntry rows cannot be deleted"):
            entries.delete()
    assert ledger_state() == before


@pytest.mark.django_db
def test_bulk_update_is_refused(entry):
    postings = list(entry.postings.all())
    for posting in postings:
        posting.amount = -posting.amount
    # bulk_update runs in atomic(savepoint=False): its refusal dooms the enclosing transaction,
    # so the test gives it one of its own.
    with pytest.raises(ImmutableLedger), transaction.atomic():
        Posting.objects.bulk_update(postings, ["amount"])
    assert sorted(p.amount for p in entry.postings.all()) == [Decimal("-100.00"), Decimal("100.00")]


# --- The database -------------------------------------------------------------------------------

RAW_TAMPERING = [
    pytest.param("UPDATE ledger_posting SET amount = amount * 2", id="update-posting"),
    pytest.param("UPDATE ledger_posting SET account_id = account_id", id="no-op-update-posting"),
    pytest.param("DELETE FROM ledger_posting", id="delete-postings"),
    pytest.param("UPDATE ledger_journalentry SET memo = 'rewritten'", id="update-entry"),
    pytest.param("UPDATE ledger_journalentry SET idempotency_key = NULL", id="forget-key"),
    pytest.param("DELETE FROM ledger_journalentry", id="delete-entries"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("sql", RAW_TAMPERING)
def test_the_database_refuses_raw_sql_that_changes_the_ledger(entry, customer, sql):
    before = ledger_state()

    with pytest.raises(Error, match="append-only"), transaction.atomic():
        raw_sql(sql)

    assert ledger_state() == before
    assert JournalEntry.objects.get(pk=entry.pk).idempotency_key == "payment:1"
    assert balance_of(customer) == Decimal("100.00")


@pytest.mark.django_db
def test_the_database_refuses_an_orm_update_that_bypasses_the_model_layer(entry):
    """_base_manager is a plain Manager: only the trigger stands between it and the table."""
    with pytest.raises(Error, match="append-only"), transaction.atomic():
        Posting._base_manager.filter(entry=entry).update(amount=0)
    with pytest.raises(Error, match="append-only"), transaction.atomic():
        Posting._base_manager.filter(entry=entry).delete()
    assert ledger_state().postings == 2
    assert checks.run().ok


@pytest.mark.django_db
def test_the_database_still_accepts_new_entries(entry, customer):
    """Append-only, not read-only."""
    top_up(customer, "1.00")
    assert balance_of(customer) == Decimal("101.00")
    assert JournalEntry.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed rows: no pending deferred FK checks
@pytest.mark.parametrize("table", ["ledger_posting", "ledger_journalentry"])
def test_postgresql_refuses_truncate(entry, table):
    before = ledger_state()
    with pytest.raises(Error, match="append-only"), transaction.atomic():
        raw_sql(f"TRUNCATE {table} CASCADE")
    assert ledger_state() == before


# --- flush: the one sanctioned way to empty the ledger ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_ledger_and_puts_the_guards_back(account_factory):
    customer = actions.customer_account(account_factory())
    top_up(customer, "100.00")
    assert JournalEntry.objects.count() == 1

    call_command("flush", interactive=False, verbosity=0)

    assert JournalEntry.objects.count() == 0
    assert Posting.objects.count() == 0

    customer = actions.customer_account(account_factory())
    top_up(customer, "25.00")
    for sql in ("UPDATE ledger_posting SET amount = 0", "DELETE FROM ledger_journalentry"):
        with pytest.raises(Error, match="append-only"), transaction.atomic():
            raw_sql(sql)
    assert balance_of(customer) == Decimal("25.00")
    assert sorted(Posting.objects.values_list("amount", flat=True)) == [
        Decimal("-25.00"),
        Decimal("25.00"),
    ]
    assert checks.run().ok
