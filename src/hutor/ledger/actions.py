"""Writing money. `post()` is the only function in Hutor that moves a balance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, connection, transaction

from hutor.accounts.actions import lock as lock_billing_account
from hutor.accounts.models import BillingAccount
from hutor.core import clock
from hutor.core.events import EventKind, publish
from hutor.core.money import Money
from hutor.core.rows import RowWriter
from hutor.core.sequences import reserve_ids
from hutor.ledger import deferred
from hutor.ledger.exceptions import InsufficientFunds, InvalidPosting, UnbalancedEntry
from hutor.ledger.models import (
    PAYMENT_KINDS,
    EntryKind,
    JournalEntry,
    LedgerAccount,
    LedgerAccountKind,
    Posting,
)

if TYPE_CHECKING:
    from hutor.accounts.actions import Payer
    from hutor.accounts.models import User

Line = tuple[LedgerAccount, Money]


class AccountRef(NamedTuple):
    """A ledger account as a draft's posting names it (no model instance): what the rules
    read of it (the id it is locked and written by, the code and currency it is checked
    against)."""

    pk: int
    code: str
    currency: str


# A posting of an EntryDraft: an account (instance or record) and its amount.
DraftLine = tuple[LedgerAccount | AccountRef, Money]


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
    checked (InsufficientFunds, nothing written) and their cached balances (and, for a top-up,
    totals credited: models.PAYMENT_KINDS) updated in the same transaction as the postings.

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
        credits = _credits(kind, lines)
        # In a clearing_last() block a clearing account is not locked here: its cached balance
        # is written by the block's last statement (ledger.deferred, lock order there).
        recorded = deferred.pending()
        later = {account.pk for account in deferred.written_last(kind, lines)}
        locked = list(
            LedgerAccount.objects.select_for_update()
            .filter(pk__in=set(deltas) - later)
            .order_by("pk")
        )
        if idempotency_key is not None:
            # Checked again under the locks: a concurrent post of the same key has committed by
            # the time we hold the accounts it touched.
            existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        for account in locked:
            account.balance += deltas[account.pk]
            account.credited += credits.get(account.pk, Decimal(0))
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
            # One UPDATE per account, the cached total credited with the balance.
            account.save(update_fields=["balance", "credited"] if credits else ["balance"])
        if recorded is not None and later:
            recorded.add(entry.pk, later)
        if kind in ADJUSTING_KINDS:
            _announce_adjustment(entry, lines, locked, billing_account)
    return entry, True


# Entries that change a customer's balance for another reason than a payment credited
# (payment.credited) or an invoice paid (invoice.paid): announced as balance.adjusted. (The
# bulk post_many() writes invoice settlements only.)
ADJUSTING_KINDS = frozenset(
    {
        EntryKind.ADJUSTMENT,
        EntryKind.REFUND,
        EntryKind.TARIFF_CREDIT,
        EntryKind.CANCELLATION_CREDIT,
        EntryKind.REVERSAL,
    }
)


def _announce_adjustment(
    entry: JournalEntry,
    lines: Sequence[Line],
    locked: list[LedgerAccount],
    known: BillingAccount | None,
) -> None:
    """Publish balance.adjusted for each customer balance the entry moved (core.events)."""
    balances = {account.pk: account.balance for account in locked}
    for account, money in lines:
        if account.kind != LedgerAccountKind.CUSTOMER_BALANCE or account.billing_account_id is None:
            continue
        billing_account = (
            known
            if known is not None and known.pk == account.billing_account_id
            else BillingAccount.objects.get(pk=account.billing_account_id)
        )
        publish(
            EventKind.BALANCE_ADJUSTED,
            billing_account=billing_account,
            data={
                "account": billing_account.number,
                "entry": entry.pk,
                "reason": entry.kind,
                "direction": "credit" if money.is_positive() else "debit",
                "amount": abs(money.amount),
                "currency": money.currency,
                "balance": balances[account.pk],
                "reference": entry.reference,
            },
        )


def _credits(kind: str, lines: Sequence[Line] | Sequence[DraftLine]) -> dict[int, Decimal]:
    """What the entry adds to each account's cached total credited: its positive postings when
    the entry is a payment credited (PAYMENT_KINDS), nothing otherwise."""
    credits: dict[int, Decimal] = defaultdict(Decimal)
    if kind in PAYMENT_KINDS:
        for account, money in lines:
            if money.amount > 0:
                credits[account.pk] += money.amount
    return credits


def _validate(lines: Sequence[tuple[LedgerAccount | AccountRef | AccountSpec, Money]]) -> None:
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


@dataclass(frozen=True)
class EntryDraft:
    """One journal entry for post_many(): the arguments post() takes."""

    lines: Sequence[DraftLine]
    kind: str
    memo: str = ""
    reference: str = ""
    billing_account: Payer | None = None
    idempotency_key: str | None = None
    created_by: User | None = None


def post_many(
    entries: Sequence[EntryDraft],
) -> list[tuple[JournalEntry, bool]]:
    """Post many journal entries in one transaction, in bulk; return (entry, written now) for
    each draft, in order. For batch work, where post() per entry would cost a few queries each.

    The rules are post()'s, entry by entry: each draft is validated like post() does (nothing is
    written if one is invalid); the billing accounts, then the ledger accounts touched, are
    locked in primary-key order; a draft whose idempotency key was already posted (or appears
    earlier in the same call) writes nothing and returns that entry with False; the balances
    are applied in the drafts' order and every limit is checked after each entry, so an entry
    that would take a balance below its limit raises InsufficientFunds and nothing is written,
    exactly as if the entries had been posted one after the other. The entries and postings are
    written with one INSERT each, and the touched accounts' balances and totals credited with one
    UPDATE. post_rows() is its twin for the billing run (plain tuples, no instances).
    """
    with transaction.atomic():
        plan = _plan_many(entries)
        new = [
            (JournalEntry(**dict(zip(_ENTRY, _entry_row(d, plan.now), strict=True))), d)
            for d in plan.new
        ]
        JournalEntry.objects.bulk_create([entry for entry, _draft in new])
        if any(entry.pk is None for entry, _draft in new):  # pragma: no cover
            raise RuntimeError("post_many needs a database that returns ids from bulk inserts")
        Posting.objects.bulk_create(
            Posting(entry_id=entry.pk, account_id=account.pk, amount=m.amount, currency=m.currency)
            for entry, draft in new
            for account, m in draft.lines
        )
        made = {id(draft): entry for entry, draft in new}
        _write_balances(plan.changed)
    return [
        (made[id(item)], new) if isinstance(item, EntryDraft) else (item, False)
        for item, new in plan.results
    ]


def post_rows(entries: Sequence[EntryDraft], *, insert: RowWriter) -> list[tuple[int, bool]]:
    """post_many() for the billing run's batches: the same rules, locks, checks and balance
    update, the entries and postings written by `insert` (core.rows.RowWriter: COPY on
    PostgreSQL, executemany on SQLite) as plain tuples, with ids drawn beforehand
    (core.sequences.reserve_ids); no model instance is built. Returns (entry id, written now)
    for each draft, in order (an already posted key: that entry's id and False)."""
    with transaction.atomic():
        plan = _plan_many(entries)
        ids = reserve_ids(JournalEntry, len(plan.new))
        made = {id(draft): pk for draft, pk in zip(plan.new, ids, strict=True)}
        insert.rows(
            JournalEntry,
            ("id", *_ENTRY),
            [(pk, *_entry_row(d, plan.now)) for d, pk in zip(plan.new, ids, strict=True)],
        )
        insert.rows(
            Posting,
            ("entry_id", "account_id", "amount", "currency"),
            [
                (pk, account.pk, money.amount, money.currency)
                for draft, pk in zip(plan.new, ids, strict=True)
                for account, money in draft.lines
            ],
        )
        _write_balances(plan.changed)
    return [
        (made[id(item)], new) if isinstance(item, EntryDraft) else (item.pk, False)
        for item, new in plan.results
    ]


# The fields of a new journal entry as _entry_row() gives them, in its order.
_ENTRY = (
    "created_at",
    "kind",
    "memo",
    "reference",
    "billing_account_id",
    "idempotency_key",
    "created_by_id",
)


def _entry_row(draft: EntryDraft, now: datetime) -> tuple[object, ...]:
    """A new entry's values, as _ENTRY names them (a tuple: post_rows builds one per entry of
    a batch, and a dict each cost more than the rest of the entry's row)."""
    return (
        now,
        draft.kind,
        draft.memo[:300],
        draft.reference,
        draft.billing_account.pk if draft.billing_account else None,
        draft.idempotency_key,
        draft.created_by.pk if draft.created_by else None,
    )


# A ledger account's cached figures to write: (balance, credited, id).
Changed = tuple[Decimal, Decimal, int]


@dataclass
class _Plan:
    """What post_many() and post_rows() write, decided under the locks: for each draft either
    itself (to write; a repeat of a key earlier in the call: that draft, not new) or the entry
    already posted under its key, with whether it is new; the new drafts in order; the
    changed (balance, credited, id) of the touched ledger accounts."""

    now: datetime
    results: list[tuple[EntryDraft | JournalEntry, bool]]
    new: list[EntryDraft]
    changed: list[Changed]


def _plan_many(entries: Sequence[EntryDraft]) -> _Plan:
    """Validate, lock, look up the idempotency keys and apply the balances in the drafts'
    order, raising InsufficientFunds as post() would (post_many's rules); in the caller's
    transaction."""
    for draft in entries:
        _validate(draft.lines)
    now = clock.now()
    if not entries:
        return _Plan(now, [], [], [])
    customers = sorted({d.billing_account.pk for d in entries if d.billing_account})
    if customers:
        list(
            BillingAccount.objects.select_for_update()
            .filter(pk__among=set(customers))
            .order_by("pk")
            .values("pk")
        )
    touched = sorted({account.pk for d in entries for account, _money in d.lines})
    locked: _Locked = {
        pk: (code, balance, credited, limit)
        for pk, code, balance, credited, limit in LedgerAccount.objects.select_for_update()
        .filter(pk__among=set(touched))
        .order_by("pk")
        .values_list("pk", "code", "balance", "credited", "min_balance")
    }
    # Idempotency keys are looked up once the accounts are locked (see post()); the unique
    # constraint stays the last word against a concurrent writer without those locks.
    keys = {d.idempotency_key for d in entries if d.idempotency_key is not None}
    existing: dict[str, EntryDraft | JournalEntry] = (
        {e.idempotency_key: e for e in JournalEntry.objects.filter(idempotency_key__among=keys)}
        if keys
        else {}
    )
    results, new, changed = _apply(entries, locked, existing)
    return _Plan(now, results, new, changed)


# A locked ledger account as the planning reads it, by primary key: code, balance, total
# credited, limit (min_balance).
_Locked = dict[int, tuple[str, Decimal, Decimal, Decimal | None]]


def _apply(
    entries: Sequence[EntryDraft],
    locked: _Locked,
    existing: dict[str, EntryDraft | JournalEntry],
) -> tuple[list[tuple[EntryDraft | JournalEntry, bool]], list[EntryDraft], list[Changed]]:
    """The entries applied to the `locked` accounts in order (post_many's rules; post_one's too):
    a draft whose key is in `existing` (posted already, or earlier in the same call) writes
    nothing and gives that entry, not new; every other draft moves the balances and totals
    credited of its accounts, each limit checked after each entry (InsufficientFunds, raised
    before anything is written). Returns (draft or existing entry, new) for each draft, the
    new drafts, and the changed (balance, credited, id) of the accounts in primary-key order
    (the order of their locks). `existing` is added to."""
    balances = {pk: row[1] for pk, row in locked.items()}
    credited = {pk: row[2] for pk, row in locked.items()}
    results: list[tuple[EntryDraft | JournalEntry, bool]] = []
    new: list[EntryDraft] = []
    for draft in entries:
        key = draft.idempotency_key
        if key is not None and key in existing:
            results.append((existing[key], False))
            continue
        deltas: dict[int, Decimal] = defaultdict(Decimal)
        for account, money in draft.lines:
            deltas[account.pk] += money.amount
        for pk, credit in _credits(draft.kind, draft.lines).items():
            credited[pk] += credit
        for pk, delta in deltas.items():
            balances[pk] += delta
            code, _balance, _credited, limit = locked[pk]
            if limit is not None and balances[pk] < limit:
                raise InsufficientFunds(code, balances[pk], limit)
        if key is not None:
            existing[key] = draft
        results.append((draft, True))
        new.append(draft)
    changed = [
        (balances[pk], credited[pk], pk)
        for pk in sorted(locked)
        if balances[pk] != locked[pk][1] or credited[pk] != locked[pk][2]
    ]
    return results, new, changed


def _write_balances(changed: list[Changed]) -> None:
    """Set cached balances and totals credited (already checked under the locks): one statement
    on PostgreSQL, an executemany on SQLite (in-process, where a statement costs no round
    trip)."""
    if not changed:
        return
    table = connection.ops.quote_name(LedgerAccount._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Three array parameters, not three per row: the statement's text and its binding
            # stay small whatever the number of accounts.
            balances, credited, ids = zip(*changed, strict=True)
            cursor.execute(
                f"UPDATE {table} AS a SET balance = v.balance, credited = v.credited "  # noqa: S608
                "FROM unnest(%s::numeric[], %s::numeric[], %s::bigint[]) "
                "AS v(balance, credited, id) WHERE a.id = v.id",
                [list(balances), list(credited), list(ids)],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET balance = %s, credited = %s WHERE id = %s",  # noqa: S608
                changed,
            )


# --- Ledger accounts ----------------------------------------------------------------------------
# Created on first use. bulk_create(ignore_conflicts=True) is INSERT ... ON CONFLICT DO NOTHING,
# so two transactions creating the same account at once both end with the one row.


@dataclass(frozen=True)
class AccountSpec:
    """A ledger account as it is made on first use; its code and currency name it."""

    code: str
    currency: str
    kind: str
    name: str
    billing_account_id: int | None = None
    min_balance: Decimal | None = None


def _get_or_create(spec: AccountSpec) -> LedgerAccount:
    account = LedgerAccount.objects.filter(code=spec.code, currency=spec.currency).first()
    if account is None:
        LedgerAccount.objects.bulk_create(
            [
                LedgerAccount(
                    code=spec.code,
                    currency=spec.currency,
                    kind=spec.kind,
                    name=spec.name,
                    billing_account_id=spec.billing_account_id,
                    min_balance=spec.min_balance,
                )
            ],
            ignore_conflicts=True,
        )
        account = LedgerAccount.objects.get(code=spec.code, currency=spec.currency)
    return account


def customer_spec(billing_account: BillingAccount) -> AccountSpec:
    """The billing account's balance; it may not go below zero."""
    return AccountSpec(
        code=f"customer:{billing_account.number}",
        currency=billing_account.currency,
        kind=LedgerAccountKind.CUSTOMER_BALANCE,
        name=f"Balance of {billing_account.number}",
        billing_account_id=billing_account.pk,
        min_balance=Decimal(0),
    )


def customer_account(billing_account: BillingAccount) -> LedgerAccount:
    return _get_or_create(customer_spec(billing_account))


def revenue_account(service_type_code: str, currency: str) -> LedgerAccount:
    return _get_or_create(
        AccountSpec(
            code=f"revenue:{service_type_code}",
            currency=currency,
            kind=LedgerAccountKind.REVENUE,
            name=f"Revenue: {service_type_code}",
        )
    )


def clearing_spec(method_slug: str, currency: str) -> AccountSpec:
    return AccountSpec(
        code=f"clearing:{method_slug}",
        currency=currency,
        kind=LedgerAccountKind.CLEARING,
        name=f"Clearing: {method_slug}",
    )


def clearing_account(method_slug: str, currency: str) -> LedgerAccount:
    return _get_or_create(clearing_spec(method_slug, currency))


def bank_account(settlement_account: str, currency: str) -> LedgerAccount:
    return _get_or_create(
        AccountSpec(
            code=f"bank:{settlement_account}",
            currency=currency,
            kind=LedgerAccountKind.BANK,
            name=f"Bank account {settlement_account}",
        )
    )


def adjustments_account(currency: str) -> LedgerAccount:
    return _get_or_create(
        AccountSpec(
            code="adjustments",
            currency=currency,
            kind=LedgerAccountKind.ADJUSTMENTS,
            name="Adjustments",
        )
    )
