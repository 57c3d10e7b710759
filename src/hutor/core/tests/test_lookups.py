"""`__among` (core/lookups.py) selects what `__in` selects, on either database: on PostgreSQL
as one array parameter."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hutor.core.models import Sequence
from hutor.ledger.models import LedgerAccount


@pytest.mark.django_db
def test_among_is_in_with_none_left_out_and_nothing_for_an_empty_list():
    Sequence.objects.bulk_create(Sequence(name=f"among-{i}", next_value=i) for i in range(1, 1201))
    names = [f"among-{i}" for i in range(1, 1201, 2)] + [None, "among-1", "absent"]

    def chosen(**lookup: object) -> list[int]:
        return sorted(Sequence.objects.filter(**lookup).values_list("next_value", flat=True))

    assert chosen(name__among=names) == chosen(name__in=names) == list(range(1, 1201, 2))
    ids = list(Sequence.objects.filter(name__startswith="among-").values_list("pk", flat=True))
    assert chosen(pk__among=ids[:700]) == chosen(pk__in=ids[:700])
    assert chosen(pk__among=[]) == chosen(pk__among=[None]) == []
    assert chosen(name__among=Sequence.objects.filter(name="among-3").values("name")) == [3]


@pytest.mark.django_db
def test_among_on_a_foreign_key(account_factory):
    accounts = [account_factory() for _ in range(3)]
    for account in accounts:
        LedgerAccount.objects.create(
            code=f"customer:{account.number}",
            kind="customer",
            name="Balance",
            currency="RUB",
            billing_account=account,
        )
    wanted = [accounts[0].pk, accounts[2].pk]
    with CaptureQueriesContext(connection) as queries:
        by_id = set(
            LedgerAccount.objects.filter(billing_account_id__among=wanted).values_list(
                "billing_account_id", flat=True
            )
        )
        by_object = set(
            LedgerAccount.objects.filter(billing_account__among=accounts[:1]).values_list(
                "billing_account_id", flat=True
            )
        )
    assert by_id == set(wanted)
    assert by_object == {accounts[0].pk}
    if connection.vendor == "postgresql":
        assert all("= ANY(" in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db
def test_plain_values_go_as_one_parameter_and_others_are_converted_as_in_converts_them():
    Sequence.objects.bulk_create(Sequence(name=f"one-{i}", next_value=i) for i in range(1, 6))
    ids = dict(Sequence.objects.filter(name__startswith="one-").values_list("name", "pk"))
    one_parameter = "json_each(" if connection.vendor == "sqlite" else "= ANY("

    def chosen(queryset: Any) -> list[str]:
        return sorted(queryset.filter(name__startswith="one-").values_list("name", flat=True))

    with CaptureQueriesContext(connection) as queries:
        assert chosen(Sequence.objects.exclude(name__among=["one-1", "one-2", None])) == [
            "one-3",
            "one-4",
            "one-5",
        ]
        assert chosen(Sequence.objects.filter(pk__among=[ids["one-4"], ids["one-4"]])) == ["one-4"]
    assert all(one_parameter in query["sql"] for query in queries.captured_queries)
    # Strings for an integer key: converted, as `__in` converts them (the same rows).
    assert chosen(Sequence.objects.filter(pk__among=[str(ids["one-5"])])) == ["one-5"]
