"""The cached total credited (LedgerAccount.credited): kept by post() and post_many() with the
balance, filled from the postings by migration 0003, read by queries.total_credited()."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from hutor.ledger import actions, checks, queries
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import PAYMENT_KINDS, EntryKind, LedgerAccount, Posting
from hutor.ledger.tests.ledger_helpers import rub, settle, top_up
from hutor.testing import migrate_to


def credited_from_history(account: LedgerAccount) -> Decimal:
    """The figure as the panel computed it before it was cached: every positive top-up posting."""
    total = Posting.objects.filter(
        account=account, entry__kind__in=PAYMENT_KINDS, amount__gt=0
    ).aggregate(total=Sum("amount"))["total"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def assert_cached_equals_history() -> None:
    for account in LedgerAccount.objects.all():
        assert account.credited == credited_from_history(account), account


@pytest.mark.django_db
def test_post_many_keeps_credited_with_the_balance(account_factory, customer, clearing, revenue):
    other = actions.customer_account(account_factory())
    top_up(customer, "10.00")
    drafts = [
        actions.EntryDraft(
            lines=[(clearing, rub("-100.00")), (customer, rub("100.00"))], kind=EntryKind.TOP_UP
        ),
        actions.EntryDraft(
            lines=[(customer, rub("-60.00")), (revenue, rub("60.00"))], kind=EntryKind.SETTLEMENT
        ),
        actions.EntryDraft(  # a fee kept from a payment: the customer's posting alone counts
            lines=[(clearing, rub("-50.00")), (other, rub("48.00")), (revenue, rub("2.00"))],
            kind=EntryKind.TOP_UP,
            idempotency_key="payment:7",
        ),
        actions.EntryDraft(  # the same payment's notification again in the batch: nothing
            lines=[(clearing, rub("-50.00")), (other, rub("48.00")), (revenue, rub("2.00"))],
            kind=EntryKind.TOP_UP,
            idempotency_key="payment:7",
        ),
    ]

    written = [created for _entry, created in actions.post_many(drafts)]

    assert written == [True, True, True, False]
    assert queries.total_credited(customer.billing_account) == rub("110.00")
    assert queries.balance(customer.billing_account) == rub("50.00")
    assert queries.total_credited(other.billing_account) == rub("48.00")
    # The revenue's 2.00 is a positive top-up posting too: the figure is kept for every account.
    assert LedgerAccount.objects.get(pk=revenue.pk).credited == Decimal("2.00")
    assert LedgerAccount.objects.get(pk=clearing.pk).credited == 0
    assert_cached_equals_history()
    assert checks.run().ok


@pytest.mark.django_db
def test_a_refused_post_many_leaves_credited_alone(customer, clearing, revenue):
    top_up(customer, "5.00")
    drafts = [
        actions.EntryDraft(
            lines=[(clearing, rub("-1.00")), (customer, rub("1.00"))], kind=EntryKind.TOP_UP
        ),
        actions.EntryDraft(  # more than the balance: the whole batch is refused
            lines=[(customer, rub("-100.00")), (revenue, rub("100.00"))],
            kind=EntryKind.SETTLEMENT,
        ),
    ]
    with pytest.raises(InsufficientFunds):
        actions.post_many(drafts)
    assert LedgerAccount.objects.get(pk=customer.pk).credited == Decimal("5.00")


@pytest.mark.django_db
def test_home_figure_and_balance_come_from_one_row(billing_account, customer):
    top_up(customer, "100.00")
    settle(customer, "30.00")
    assert queries.balance_and_credited(billing_account) == (rub("70.00"), rub("100.00"))


@pytest.mark.django_db
def test_an_account_without_a_ledger_account_has_credited_nothing(account_factory):
    assert queries.balance_and_credited(account_factory()) == (rub(0), rub(0))


BEFORE = [("ledger", "0002_append_only_guards")]
AFTER = [("ledger", "0003_ledgeraccount_credited")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_credited_from_the_postings():
    apps = migrate_to(BEFORE)
    User = apps.get_model("accounts", "User")
    BillingAccount = apps.get_model("accounts", "BillingAccount")
    Account = apps.get_model("ledger", "LedgerAccount")
    Entry = apps.get_model("ledger", "JournalEntry")
    Post = apps.get_model("ledger", "Posting")
    billing = BillingAccount.objects.create(
        number="1000009",
        user=User.objects.create(email="old@example.com"),
        contact_email="old@example.com",
        created_at=dt.datetime.now(dt.UTC),
    )
    common = {"currency": "RUB", "balance": 0}
    customer = Account.objects.create(code="customer:1000009", kind="customer", **common)
    customer.billing_account = billing
    customer.save()
    clearing = Account.objects.create(code="clearing:card", kind="clearing", **common)
    revenue = Account.objects.create(code="revenue:vps", kind="revenue", **common)
    now = dt.datetime.now(dt.UTC)
    for kind, amount, to in [
        ("top_up", "0.10", customer),
        ("top_up", "0.20", customer),  # 0.30 exactly, though SQLite sums in binary floats
        ("settlement", "0.25", revenue),
        ("adjustment", "7.00", customer),
    ]:
        entry = Entry.objects.create(created_at=now, kind=kind)
        source = customer if to is revenue else clearing
        Post.objects.create(entry=entry, account=source, amount=f"-{amount}", currency="RUB")
        Post.objects.create(entry=entry, account=to, amount=amount, currency="RUB")

    Account = migrate_to(AFTER).get_model("ledger", "LedgerAccount")
    credited = dict(Account.objects.values_list("code", "credited"))
    assert credited == {
        "customer:1000009": Decimal("0.30"),
        "clearing:card": Decimal(0),
        "revenue:vps": Decimal(0),
    }

    migrate_to()
