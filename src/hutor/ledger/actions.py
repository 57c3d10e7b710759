"""Writing money. `post()` is the only function in Hutor that moves a balance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock
from hutor.core.money import Money
from hutor.ledger.exceptions import InsufficientFunds, InvalidPosting, UnbalancedEntry
from hutor.ledger.models import JournalEntry, LedgerAccount, LedgerAccountKind, Posting

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User

Line = tuple[LedgerAccount, Money]


def post(
    *,
    lines: Sequence[Line],
    kind: str,
    memo: str = "",
    reference: str = "",
    billing_account: BillingAccount | None = None,
    idempotency_key: str | None = None,
    created_by: User | None = None,
) -> tuple[JournalEntry, bool]:
    """Post one journal entry; return it and whether it was written now.

    The postings must be non-zero, in their accounts' currencies, and sum to zero per currency,
    or nothing is written (UnbalancedEntry, InvalidPosting). The touched ledger accounts are
    locked in primary-key order (a fixed order, so two entries never deadlock), their limits
    checked (InsufficientFunds, nothing written) and their cached balances updated in the same
    transaction as the postings.

    With an `idempotency_key`, a second post with the same key writes nothing and returns the
    first entry with False: this is how a payment is credited exactly once, whatever number of
    times its notification arrives.
    """
    _validate(lines)
    with transaction.atomic():
        if billing_account is not None:
            lock_billing_account(billing_account)
        if idempotency_key is not None:
            existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        deltas: dict[int, Decimal] = defaultdict(Decimal)
        for account, money in lines:
            deltas[account.pk] += money.amount
        locked = list(
            LedgerAccount.objects.select_for_update().filter(pk__in=deltas).order_by("pk")
        )
        if idempotency_key is not None:
            # Checked again under the locks: a concurrent post of the same key has committed by
            # the time we hold the accounts it touched.
            existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        for account in locked:
            account.balance += deltas[account.pk]
            if account.min_balance is not None and account.balance < account.min_balance:
                raise InsufficientFunds(account.code, account.balance, account.min_balance)
        try:
            with transaction.atomic():
                entry = JournalEntry.objects.create(
                    created_at=clock.now(),
                    kind=kind,
                    memo=memo[:300],
                    reference=reference,
                    billing_account=billing_account,
                    idempotency_key=idempotency_key,
                    created_by=created_by,
                )
        except IntegrityError:
            if idempotency_key is None:
                raise
            return JournalEntry.objects.get(idempotency_key=idempotency_key), False
        Posting.objects.bulk_create(
            Posting(entry=entry, account=account, amount=money.amount, currency=money.currency)
            for account, money in lines
        )
        for account in locked:
            account.save(update_fields=["balance"])
    return entry, True


def _validate(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise UnbalancedEntry("an entry needs at least two postings")
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for account, money in lines:
        if not isinstance(money, Money):
            raise InvalidPosting(f"{account.code}: postings take Money, not {type(money).__name__}")
        if money.rounded() != money:
            raise InvalidPosting(f"{account.code}: {money.amount} is not rounded to the minor unit")
        if not money:
            raise InvalidPosting(f"{account.code}: a posting of zero moves nothing")
        if money.currency != account.currency:
            raise InvalidPosting(
                f"{account.code} is kept in {account.currency}, not {money.currency}"
            )
        sums[money.currency] += money.amount
    unbalanced = {currency: amount for currency, amount in sums.items() if amount != 0}
    if unbalanced:
        raise UnbalancedEntry(f"postings do not sum to zero: {unbalanced}")


# --- Ledger accounts ----------------------------------------------------------------------------
# Created on first use. bulk_create(ignore_conflicts=True) is INSERT ... ON CONFLICT DO NOTHING,
# so two transactions creating the same account at once both end with the one row.


def _get_or_create(
    *, code: str, currency: str, kind: str, name: str, **extra: object
) -> LedgerAccount:
    account = LedgerAccount.objects.filter(code=code, currency=currency).first()
    if account is None:
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(code=code, currency=currency, kind=kind, name=name, **extra)],
            ignore_conflicts=True,
        )
        account = LedgerAccount.objects.get(code=code, currency=currency)
    return account


def customer_account(billing_account: BillingAccount) -> LedgerAccount:
    """The billing account's balance; it may not go below zero."""
    return _get_or_create(
        code=f"customer:{billing_account.number}",
        currency=billing_account.currency,
        kind=LedgerAccountKind.CUSTOMER_BALANCE,
        name=f"Balance of {billing_account.number}",
        billing_account=billing_account,
        min_balance=Decimal(0),
    )


def revenue_account(service_type_code: str, currency: str) -> LedgerAccount:
    return _get_or_create(
        code=f"revenue:{service_type_code}",
        currency=currency,
        kind=LedgerAccountKind.REVENUE,
        name=f"Revenue: {service_type_code}",
    )


def clearing_account(method_slug: str, currency: str) -> LedgerAccount:
    return _get_or_create(
        code=f"clearing:{method_slug}",
        currency=currency,
        kind=LedgerAccountKind.CLEARING,
        name=f"Clearing: {method_slug}",
    )


def bank_account(settlement_account: str, currency: str) -> LedgerAccount:
    return _get_or_create(
        code=f"bank:{settlement_account}",
        currency=currency,
        kind=LedgerAccountKind.BANK,
        name=f"Bank account {settlement_account}",
    )


def adjustments_account(currency: str) -> LedgerAccount:
    return _get_or_create(
        code="adjustments",
        currency=currency,
        kind=LedgerAccountKind.ADJUSTMENTS,
        name="Adjustments",
    )
