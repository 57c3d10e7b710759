"""actions.post(): the one function that moves money, and the read models built on it."""

from decimal import Decimal

import pytest

from hutor.core.money import Money
from hutor.ledger import actions, checks, queries
from hutor.ledger.exceptions import InsufficientFunds, InvalidPosting, UnbalancedEntry
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccountKind, Posting
from hutor.ledger.tests.ledger_helpers import balance_of, ledger_state, rub, settle, top_up

pytestmark = pytest.mark.django_db


# --- A balanced entry ---------------------------------------------------------------------------


def test_a_balanced_entry_is_written_with_its_postings_and_moves_the_cached_balances(
    billing_account, customer, clearing, revenue
):
    entry, created = actions.post(
        lines=[(clearing, rub("-100.00")), (customer, rub("100.00"))],
        kind=EntryKind.TOP_UP,
        memo="Card payment",
        reference="P-1",
        billing_account=billing_account,
    )

    assert created is True
    assert entry.pk is not None
    assert entry.kind == EntryKind.TOP_UP
    assert entry.memo == "Card payment" and entry.reference == "P-1"
    assert entry.billing_account == billing_account
    assert entry.created_at is not None
    assert sorted((p.account.code, p.amount, p.currency) for p in entry.postings.all()) == [
        ("clearing:card", Decimal("-100.00"), "RUB"),
        (f"customer:{billing_account.number}", Decimal("100.00"), "RUB"),
    ]
    assert balance_of(customer) == Decimal("100.00")
    assert balance_of(clearing) == Decimal("-100.00")  # the card service owes the provider

    actions.post(
        lines=[(customer, rub("-30.50")), (revenue, rub("30.50"))], kind=EntryKind.SETTLEMENT
    )
    assert balance_of(customer) == Decimal("69.50")
    assert balance_of(revenue) == Decimal("30.50")
    assert balance_of(clearing) == Decimal("-100.00")
    assert checks.run().ok


def test_an_entry_may_have_more_than_two_postings(customer, clearing, revenue, adjustments):
    actions.post(
        lines=[
            (clearing, rub("-100.00")),
            (customer, rub("90.00")),
            (revenue, rub("7.50")),
            (adjustments, rub("2.50")),
        ],
        kind=EntryKind.TOP_UP,
    )
    assert balance_of(clearing) == Decimal("-100.00")
    assert balance_of(customer) == Decimal("90.00")
    assert balance_of(revenue) == Decimal("7.50")
    assert balance_of(adjustments) == Decimal("2.50")
    assert Posting.objects.count() == 4


def test_a_goodwill_credit_comes_from_the_adjustments_account(customer, adjustments):
    actions.post(
        lines=[(adjustments, rub("-15.00")), (customer, rub("15.00"))],
        kind=EntryKind.ADJUSTMENT,
        memo="Compensation for the outage of 12 May",
    )
    assert balance_of(customer) == Decimal("15.00")
    assert balance_of(adjustments) == Decimal("-15.00")  # no limit on the provider's side


def test_a_long_memo_is_cut_to_the_column_length(customer, clearing):
    entry, _ = actions.post(
        lines=[(clearing, rub("-1.00")), (customer, rub("1.00"))],
        kind=EntryKind.TOP_UP,
        memo="x" * 500,
    )
    entry.refresh_from_db()
    assert entry.memo == "x" * 300


def test_ledger_accounts_are_created_once_and_customer_balances_have_a_zero_floor(
    billing_account,
):
    customer = actions.customer_account(billing_account)
    assert actions.customer_account(billing_account).pk == customer.pk
    assert customer.kind == LedgerAccountKind.CUSTOMER_BALANCE
    assert customer.code == f"customer:{billing_account.number}"
    assert customer.currency == billing_account.currency
    assert customer.billing_account == billing_account
    assert customer.min_balance == 0
    assert customer.balance == 0

    revenue = actions.revenue_account("vps", "RUB")
    assert actions.revenue_account("vps", "RUB").pk == revenue.pk
    assert actions.revenue_account("vps", "USD").pk != revenue.pk  # one per currency
    assert revenue.min_balance is None
    assert actions.clearing_account("card", "RUB").min_balance is None
    assert actions.adjustments_account("RUB").min_balance is None
    assert actions.bank_account("40702810900000000001", "RUB").kind == LedgerAccountKind.BANK


# --- Refusals write nothing ---------------------------------------------------------------------


def test_an_unbalanced_entry_is_refused_and_writes_nothing(customer, clearing):
    top_up(customer, "10.00")
    before = ledger_state()

    with pytest.raises(UnbalancedEntry, match="do not sum to zero"):
        actions.post(
            lines=[(clearing, rub("-100.00")), (customer, rub("100.01"))], kind=EntryKind.TOP_UP
        )

    assert ledger_state() == before


def test_an_entry_unbalanced_in_one_currency_is_refused_even_if_the_grand_total_is_zero(
    account_factory, customer, clearing
):
    dollars = actions.customer_account(account_factory(currency="USD"))
    dollar_clearing = actions.clearing_account("card", "USD")
    before = ledger_state()

    with pytest.raises(UnbalancedEntry):
        actions.post(
            lines=[
                (clearing, rub("-10.00")),
                (dollars, Money("10.00", "USD")),
                (dollar_clearing, Money("-5.00", "USD")),
                (customer, rub("5.00")),
            ],
            kind=EntryKind.TOP_UP,
        )

    assert ledger_state() == before


def test_a_single_posting_is_refused_and_writes_nothing(customer):
    before = ledger_state()
    with pytest.raises(UnbalancedEntry, match="at least two postings"):
        actions.post(lines=[(customer, rub("100.00"))], kind=EntryKind.TOP_UP)
    with pytest.raises(UnbalancedEntry, match="at least two postings"):
        actions.post(lines=[], kind=EntryKind.TOP_UP)
    assert ledger_state() == before


def test_a_zero_posting_is_refused_even_inside_a_balanced_entry(customer, clearing, revenue):
    before = ledger_state()
    with pytest.raises(InvalidPosting, match="zero"):
        actions.post(
            lines=[(clearing, rub("-10.00")), (customer, rub("10.00")), (revenue, rub("0.00"))],
            kind=EntryKind.TOP_UP,
        )
    with pytest.raises(InvalidPosting, match="zero"):
        actions.post(lines=[(clearing, rub(0)), (customer, rub(0))], kind=EntryKind.TOP_UP)
    assert ledger_state() == before


def test_a_posting_in_another_currency_than_its_account_is_refused(
    account_factory, customer, clearing
):
    dollar_clearing = actions.clearing_account("card", "USD")
    before = ledger_state()

    with pytest.raises(InvalidPosting, match="kept in RUB, not USD"):
        # Balanced in USD, but the customer's balance is kept in roubles.
        actions.post(
            lines=[(dollar_clearing, Money("-10.00", "USD")), (customer, Money("10.00", "USD"))],
            kind=EntryKind.TOP_UP,
        )

    assert ledger_state() == before


def test_an_amount_finer_than_the_minor_unit_is_refused(customer, clearing):
    before = ledger_state()
    with pytest.raises(InvalidPosting, match="not rounded"):
        actions.post(
            lines=[(clearing, rub("-0.001")), (customer, rub("0.001"))], kind=EntryKind.TOP_UP
        )
    with pytest.raises(InvalidPosting, match="not rounded"):
        actions.post(
            lines=[(clearing, rub("-10.005")), (customer, rub("10.005"))], kind=EntryKind.TOP_UP
        )
    assert ledger_state() == before


def test_a_bare_decimal_is_not_a_posting(customer, clearing):
    before = ledger_state()
    with pytest.raises(InvalidPosting, match="postings take Money"):
        actions.post(
            lines=[(clearing, Decimal("-1.00")), (customer, Decimal("1.00"))],  # type: ignore[list-item]
            kind=EntryKind.TOP_UP,
        )
    assert ledger_state() == before


# --- Limits -------------------------------------------------------------------------------------


def test_a_customer_balance_can_be_spent_to_exactly_zero(customer):
    top_up(customer, "50.00")
    settle(customer, "50.00")
    assert balance_of(customer) == 0


def test_a_customer_balance_cannot_go_below_zero_and_nothing_is_written(customer, revenue):
    top_up(customer, "50.00")
    before = ledger_state()

    with pytest.raises(InsufficientFunds) as refused:
        settle(customer, "50.01")

    assert refused.value.account_code == customer.code
    assert refused.value.balance == Decimal("-0.01")
    assert refused.value.limit == 0
    assert ledger_state() == before
    assert balance_of(customer) == Decimal("50.00")


def test_an_empty_customer_balance_pays_nothing(customer, revenue):
    before = ledger_state()
    with pytest.raises(InsufficientFunds):
        settle(customer, "0.01")
    assert ledger_state() == before


def test_a_refused_transfer_does_not_credit_the_other_side_either(account_factory, customer):
    """The limit is checked for every touched account before any balance is saved."""
    other = actions.customer_account(account_factory())
    top_up(customer, "10.00")
    top_up(other, "5.00")
    before = ledger_state()

    for lines in (
        [(customer, rub("20.00")), (other, rub("-20.00"))],
        [(other, rub("-20.00")), (customer, rub("20.00"))],
    ):
        with pytest.raises(InsufficientFunds) as refused:
            actions.post(lines=lines, kind=EntryKind.ADJUSTMENT)
        assert refused.value.account_code == other.code

    assert ledger_state() == before


def test_the_limit_applies_to_the_net_movement_of_an_account_within_one_entry(
    customer, revenue, adjustments
):
    top_up(customer, "10.00")
    # -15 and +5 on the same balance: net -10, which the balance covers.
    actions.post(
        lines=[
            (customer, rub("-15.00")),
            (customer, rub("5.00")),
            (revenue, rub("12.00")),
            (adjustments, rub("-2.00")),
        ],
        kind=EntryKind.SETTLEMENT,
    )
    assert balance_of(customer) == 0


def test_a_stale_account_instance_does_not_bypass_the_limit(customer):
    """post() re-reads balances under the row lock; the caller's copy says 0 and means nothing."""
    top_up(customer, "30.00")
    stale = customer  # still says balance 0
    assert stale.balance == 0
    settle(stale, "30.00")
    with pytest.raises(InsufficientFunds):
        settle(stale, "0.01")
    assert balance_of(customer) == 0


# --- Idempotency --------------------------------------------------------------------------------


def test_a_second_post_with_the_same_key_returns_the_first_entry_and_moves_nothing(customer):
    first, created = top_up(customer, "100.00", key="payment:42")
    assert created is True
    before = ledger_state()

    again, created_again = top_up(customer, "100.00", key="payment:42")
    assert (again.pk, created_again) == (first.pk, False)
    # Even if the repeated notification carries different lines, the key decides.
    different, created_different = top_up(customer, "999.00", key="payment:42")
    assert (different.pk, created_different) == (first.pk, False)

    assert ledger_state() == before
    assert balance_of(customer) == Decimal("100.00")


def test_different_keys_are_different_entries(customer):
    first, _ = top_up(customer, "1.00", key="payment:1")
    second, created = top_up(customer, "1.00", key="payment:2")
    assert created is True and second.pk != first.pk
    assert balance_of(customer) == Decimal("2.00")


def test_entries_without_a_key_are_never_deduplicated(customer):
    top_up(customer, "1.00")
    top_up(customer, "1.00")
    assert balance_of(customer) == Decimal("2.00")
    assert JournalEntry.objects.count() == 2


def test_a_refused_post_does_not_use_up_its_key(customer):
    with pytest.raises(InsufficientFunds):
        settle(customer, "10.00", key="invoice:7")
    assert not JournalEntry.objects.filter(idempotency_key="invoice:7").exists()

    top_up(customer, "10.00")
    entry, created = settle(customer, "10.00", key="invoice:7")
    assert created is True and entry.idempotency_key == "invoice:7"
    assert balance_of(customer) == 0


def test_a_replayed_key_does_not_hide_an_invalid_entry(customer, clearing):
    top_up(customer, "5.00", key="payment:1")
    with pytest.raises(UnbalancedEntry):
        actions.post(
            lines=[(clearing, rub("-5.00")), (customer, rub("4.00"))],
            kind=EntryKind.TOP_UP,
            idempotency_key="payment:1",
        )


def test_a_replay_is_answered_even_when_the_lines_would_now_overdraw(customer):
    top_up(customer, "10.00")
    first, _ = settle(customer, "10.00", key="invoice:1")
    assert balance_of(customer) == 0
    again, created = settle(customer, "10.00", key="invoice:1")
    assert (again.pk, created) == (first.pk, False)
    assert balance_of(customer) == 0


# --- Read models --------------------------------------------------------------------------------


def test_balance_is_zero_before_the_first_entry(billing_account):
    assert queries.balance(billing_account) == rub(0)


def test_balance_reads_the_cached_balance_in_the_accounts_currency(account_factory):
    billing_account = account_factory(currency="USD")
    customer = actions.customer_account(billing_account)
    top_up(customer, "12.34")
    settle(customer, "2.34")
    assert queries.balance(billing_account) == Money("10.00", "USD")


def test_balance_is_per_billing_account(account_factory):
    first, second = account_factory(), account_factory()
    top_up(actions.customer_account(first), "7.00")
    assert queries.balance(first) == rub("7.00")
    assert queries.balance(second) == rub(0)


def test_total_credited_counts_top_ups_only(account_factory, billing_account, customer, clearing):
    assert queries.total_credited(billing_account) == rub(0)
    top_up(customer, "100.00")
    top_up(customer, "50.00")
    settle(customer, "30.00")  # spending the balance does not un-credit a payment
    adjustments = actions.adjustments_account("RUB")
    actions.post(  # a goodwill credit is not a payment
        lines=[(adjustments, rub("-5.00")), (customer, rub("5.00"))], kind=EntryKind.ADJUSTMENT
    )
    actions.post(  # a refund returns money, it does not reduce what was credited
        lines=[(customer, rub("-20.00")), (clearing, rub("20.00"))], kind=EntryKind.REFUND
    )
    other = actions.customer_account(account_factory())
    top_up(other, "1000.00")  # someone else's payment

    assert queries.total_credited(billing_account) == rub("150.00")
    assert queries.balance(billing_account) == rub("105.00")


def test_total_credited_counts_a_replayed_payment_once(billing_account, customer):
    for _ in range(3):
        top_up(customer, "100.00", key="payment:1")
    assert queries.total_credited(billing_account) == rub("100.00")
