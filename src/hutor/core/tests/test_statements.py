"""core.statements: rows read and written by hand are what the ORM reads and writes (the
converters: Decimal, aware datetimes, JSON, encrypted text; the defaults of fields not given)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from hutor.core import replica, statements
from hutor.core.models import Event
from hutor.core.money import Money
from hutor.notifications.models import EmailStatus, OutboxEmail
from hutor.payments.actions import start_top_up
from hutor.payments.models import Payment, PaymentMethod

pytestmark = pytest.mark.django_db


def values(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_payment_with_its_account_read_by_hand_is_the_orm_s(account_factory, payment_methods):
    payment = start_top_up(
        billing_account=account_factory(), method=payment_methods.demo, amount=Money("700.50")
    )
    Payment.objects.filter(pk=payment.pk).update(review_reasons=[{"code": "late", "params": {}}])
    orm = Payment.objects.select_related("billing_account").get(pk=payment.pk)
    joined = statements.joined(Payment, "billing_account")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {joined.sql} FROM {joined.source} WHERE {joined.table}.id = %s", [payment.pk]
        )
        by_hand = joined.build(cursor.fetchone())
    assert values(by_hand) == values(orm)
    assert by_hand.amount == Decimal("700.50") and isinstance(by_hand.created_at, dt.datetime)
    assert by_hand.created_at.tzinfo is not None
    assert by_hand.review_reasons == [{"code": "late", "params": {}}]
    assert values(by_hand.billing_account) == values(orm.billing_account)
    assert by_hand._state.db == orm._state.db and not by_hand._state.adding


def test_an_encrypted_field_is_decrypted_as_the_orm_does(payment_methods):
    method = payment_methods.demo
    columns = statements.columns(PaymentMethod)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql} FROM payments_paymentmethod WHERE id = %s", [method.pk]
        )
        by_hand = columns.build(cursor.fetchone())
    assert by_hand.settings == PaymentMethod.objects.get(pk=method.pk).settings
    assert by_hand.settings["secret"] == "demo-secret"


def test_an_insert_writes_the_defaults_and_skips_a_conflict(account_factory):
    account = account_factory()
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    row = {
        "key": "k-1",
        "template": "payment_credited",
        "to_email": "a@example.com",
        "language": "ru",
        "params": {"payment": "20000001", "invoices": []},
        "billing_account_id": account.pk,
        "next_attempt_at": now,
        "created_at": now,
    }
    with transaction.atomic():
        statements.insert(OutboxEmail, [row])
        statements.insert(OutboxEmail, [{**row, "template": "other"}], skip_conflicts=True)
    email = OutboxEmail.objects.get(key="k-1")  # one: the second was left out
    assert email.template == "payment_credited" and email.params == row["params"]
    assert email.status == EmailStatus.PENDING and email.attempts == 0
    assert email.subject == "" and email.last_error == "" and email.sent_at is None
    assert email.created_at == now


def test_an_insert_is_refused_where_the_orm_s_write_is(settings):
    """Under replica.reading() a write is a programming error; by hand as through the ORM."""
    settings.DATABASE_ROUTERS = ["hutor.core.replica.ReplicaRouter"]
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    row: dict[str, object] = {
        "kind": "payment.credited",
        "account_id": None,
        "data": {},
        "created_at": now,
    }
    with replica.reading(), pytest.raises(replica.WriteWhileReading):
        statements.insert(Event, [row])
    assert not Event.objects.exists()


def test_a_key_not_given_is_its_default_unless_the_database_makes_it(db):
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    row: dict[str, object] = {
        "kind": "payment.credited",
        "account_id": None,
        "data": {"a": "1"},
        "created_at": now,
    }
    with transaction.atomic():
        statements.insert(Event, [row, {**row, "data": {"a": "2"}}])  # a UUID key: uuid4 each
    assert sorted(e.data["a"] for e in Event.objects.all()) == ["1", "2"]
