"""`__among` (core/lookups.py) selects what `__in` selects, on either database: on PostgreSQL
as one array parameter."""

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
