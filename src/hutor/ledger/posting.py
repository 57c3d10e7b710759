"""One journal entry in a few hand-written statements: the ledger's lean path for a payment
notification's credit (payments.actions.credit_payment), with post_many()'s rules.

Why it exists: on that path building the ORM's SQL and model instances cost more than the
database did (docs/performance.md, "Payment notifications"). The statements are parametrised
(bound on the client, as Django's psycopg backend does by default).
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Model

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock
from hutor.core.money import Money
from hutor.ledger import deferred
from hutor.ledger.actions import (
    ADJUSTING_KINDS,
    AccountSpec,
    Changed,
    DraftLine,
    EntryDraft,
    _apply,
    _get_or_create,
    _validate,
    _write_balances,
)
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import JournalEntry, LedgerAccount, Posting

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount


@dataclass(frozen=True)
class Posted:
    """What post_one() did: the entry's id, whether it was written now, and the ledger accounts
    it touched as locked (keyed by code and currency), their balances after the entry; not a
    clearing account left to the end of a clearing_last() block (ledger.deferred)."""

    entry_id: int
    created: bool
    accounts: dict[tuple[str, str], LedgerAccount]


def post_one(
    *,
    lines: Sequence[tuple[AccountSpec, Money]],
    kind: str,
    memo: str = "",
    reference: str = "",
    billing_account: BillingAccount | None = None,
    idempotency_key: str | None = None,
    billing_account_locked: bool = False,
) -> Posted:
    """post_many() for one entry, in a few parametrised statements through the connection's
    cursor instead of the ORM's querysets: the path of a payment notification that credits,
    where building the ORM's SQL cost more than the database did (docs/performance.md).

    The rules are post_many()'s, and so is the code that applies them: the lines validated first
    (actions._validate); the billing account, then the ledger accounts (named by spec, made on
    first use) locked in primary-key order; the entry applied to the locked balances and totals
    credited by actions._apply, which raises InsufficientFunds for a limit the entry would cross
    before anything is written; a key already posted writes nothing and returns that entry with
    False (even when the lines would now overdraw); the postings, the cached balances and totals
    credited written with the entry. It runs in the caller's transaction with no
    savepoint: the key is taken by INSERT ... ON CONFLICT DO NOTHING, so a concurrent post of
    the same key waits for that one to commit and then writes nothing, instead of failing.
    Entries that announce a balance change (ADJUSTING_KINDS) go through post().
    `billing_account_locked`: the caller took the billing account's lock first in this
    transaction already (accounts.actions.lock), so it is not asked for again.
    Inside ledger.deferred.clearing_last() (PostgreSQL) a clearing account is read, not locked,
    and its cached balance is written by the block's last statement. On PostgreSQL the entry,
    its postings and the locked accounts' figures are one statement (_write_postgresql).
    """
    if kind in ADJUSTING_KINDS:
        raise ValueError(f"{kind} entries are announced: post them with post()")
    _validate(lines)
    if not connection.in_atomic_block:
        raise RuntimeError("post_one() runs inside the caller's transaction")
    if billing_account is not None and not billing_account_locked:
        lock_billing_account(billing_account)
    recorded = deferred.pending()
    specs = [spec for spec, _money in lines]
    later = {(spec.code, spec.currency) for spec in deferred.written_last(kind, lines)}
    accounts = _lock_accounts(specs, later)
    draft = EntryDraft(
        lines=[(accounts[spec.code, spec.currency], money) for spec, money in lines],
        kind=kind,
        idempotency_key=idempotency_key,
    )
    locked = {a.pk: (a.code, a.balance, a.credited, a.min_balance) for a in accounts.values()}
    later_ids = {accounts[key].pk for key in later}
    held = {key: account for key, account in accounts.items() if key not in later}
    with connection.cursor() as cursor:
        try:
            _results, _new, changed = _apply([draft], locked, {})
        except InsufficientFunds:
            # A replay is answered even when its lines would now overdraw (post_many looks the
            # key up before applying; here the key is taken by the INSERT below).
            existing = _entry_with_key(cursor, idempotency_key)
            if existing is not None:
                return Posted(existing, False, held)
            raise
        changed = [row for row in changed if row[2] not in later_ids]
        entry = (
            clock.now(),
            kind,
            memo[:300],
            reference,
            billing_account.pk if billing_account is not None else None,
            idempotency_key,
        )
        if connection.vendor == "postgresql":
            entry_id = _write_postgresql(cursor, entry, draft.lines, changed)
        else:
            entry_id = _write(cursor, entry, draft.lines)
        if entry_id is None:  # the key is posted (by a transaction that committed while we waited)
            existing = _entry_with_key(cursor, idempotency_key)
            if existing is None:  # pragma: no cover - ON CONFLICT fired on the key
                raise RuntimeError("an idempotency key conflicted but is not found")
            return Posted(existing, False, held)
    by_pk = {account.pk: account for account in held.values()}
    for balance, credited, pk in changed:
        by_pk[pk].balance, by_pk[pk].credited = balance, credited
    if connection.vendor != "postgresql":
        _write_balances(changed)
    if recorded is not None and later_ids:
        recorded.add(entry_id, later_ids)
    return Posted(entry_id, True, held)


# The entry's values in _ENTRY_COLUMNS' order.
_Entry = tuple[datetime, str, str, str, int | None, str | None]
_ENTRY_COLUMNS = "created_at, kind, memo, reference, billing_account_id, idempotency_key"


def _write(cursor: Any, entry: _Entry, lines: Sequence[DraftLine]) -> int | None:
    """The entry (None when its key is taken) and its postings, in two statements."""
    ops = connection.ops
    cursor.execute(
        f"INSERT INTO {_table(JournalEntry)} ({_ENTRY_COLUMNS}, created_by_id) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s, NULL) ON CONFLICT (idempotency_key) DO NOTHING "
        "RETURNING id",
        [ops.adapt_datetimefield_value(entry[0]), *entry[1:]],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    entry_id = int(row[0])
    cursor.execute(
        f"INSERT INTO {_table(Posting)} (entry_id, account_id, amount, currency) "  # noqa: S608
        "VALUES " + ", ".join(["(%s, %s, %s, %s)"] * len(lines)),
        [
            value
            for account, money in lines
            for value in (entry_id, account.pk, _decimal(money.amount), money.currency)
        ],
    )
    return entry_id


def _write_postgresql(
    cursor: Any, entry: _Entry, lines: Sequence[DraftLine], changed: list[Changed]
) -> int | None:
    """The entry (None when its key is taken), its postings and the locked accounts' cached
    figures in one statement: data-modifying WITH queries, the postings and balances written
    only when the entry was (they read its RETURNING row)."""
    ops = connection.ops
    sql = (
        f"WITH entry AS (INSERT INTO {_table(JournalEntry)} ({_ENTRY_COLUMNS}, "  # noqa: S608
        "created_by_id) VALUES (%s, %s, %s, %s, %s, %s, NULL) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id), "
        f"postings AS (INSERT INTO {_table(Posting)} (entry_id, account_id, amount, currency) "
        "SELECT entry.id, v.account_id, v.amount, v.currency FROM entry, "
        "unnest(%s::bigint[], %s::numeric[], %s::text[]) AS v(account_id, amount, currency))"
    )
    params: list[object] = [
        ops.adapt_datetimefield_value(entry[0]),
        *entry[1:],
        [account.pk for account, _money in lines],
        [_decimal(money.amount) for _account, money in lines],
        [money.currency for _account, money in lines],
    ]
    if changed:
        balances, credited, ids = zip(*changed, strict=True)
        sql += (
            f", balances AS (UPDATE {_table(LedgerAccount)} AS a SET balance = v.balance, "  # noqa: S608
            "credited = v.credited FROM entry, unnest(%s::numeric[], %s::numeric[], "
            "%s::bigint[]) AS v(balance, credited, id) WHERE a.id = v.id)"
        )
        params += [list(balances), list(credited), list(ids)]
    cursor.execute(sql + " SELECT id FROM entry", params)  # noqa: S608
    row = cursor.fetchone()
    return None if row is None else int(row[0])


def _decimal(amount: Decimal) -> Any:
    return connection.ops.adapt_decimalfield_value(
        amount, settings.MONEY_MAX_DIGITS, settings.MONEY_DECIMAL_PLACES
    )


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _entry_with_key(cursor: Any, key: str | None) -> int | None:
    if key is None:
        return None
    cursor.execute(f"SELECT id FROM {_table(JournalEntry)} WHERE idempotency_key = %s", [key])  # noqa: S608
    row = cursor.fetchone()
    return None if row is None else int(row[0])


def _lock_accounts(
    specs: Sequence[AccountSpec], later: set[tuple[str, str]]
) -> dict[tuple[str, str], LedgerAccount]:
    """The ledger accounts of `specs`, locked in primary-key order (made first if missing),
    but for those named in `later`, read without a lock (ledger.deferred: written last)."""
    named = {(spec.code, spec.currency): spec for spec in specs}
    now = [key for key in named if key not in later]
    columns = "id, code, currency, balance, credited, min_balance"
    table = _table(LedgerAccount)

    def where(keys: Sequence[tuple[str, str]]) -> str:
        return " OR ".join(["(code = %s AND currency = %s)"] * len(keys))

    if not connection.features.has_select_for_update:
        sql = f"SELECT {columns} FROM {table} WHERE {where(list(named))}"  # noqa: S608
        params = [value for key in named for value in key]
    elif not later:
        sql = f"SELECT {columns} FROM {table} WHERE {where(now)} ORDER BY id FOR UPDATE"  # noqa: S608
        params = [value for key in now for value in key]
    else:  # one statement: the others locked in primary-key order, the deferred ones read
        unlocked = [key for key in named if key in later]
        sql = (
            f"WITH held AS MATERIALIZED (SELECT {columns} FROM {table} "  # noqa: S608
            f"WHERE {where(now) or 'false'} ORDER BY id FOR UPDATE) SELECT {columns} FROM held "
            f"UNION ALL SELECT {columns} FROM {table} WHERE {where(unlocked)}"
        )
        params = [value for key in now + unlocked for value in key]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if len(rows) < len(named):  # first use of an account: made (ORM), then locked
            for spec in named.values():
                _get_or_create(spec)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return {
        (code, currency): LedgerAccount(
            id=pk,
            code=code,
            currency=currency,
            balance=_amount(balance),
            credited=_amount(credited),
            min_balance=None if limit is None else _amount(limit),
        )
        for pk, code, currency, balance, credited, limit in rows
    }


# SQLite hands a decimal column back as a float (or an int): read as Django's own converter
# reads it (15 significant digits, then the minor unit), so the amounts are exact.
_FROM_FLOAT = decimal.Context(prec=15).create_decimal_from_float


def _amount(value: Decimal | float | int) -> Decimal:
    if isinstance(value, float):
        value = _FROM_FLOAT(value)
    return Decimal(value).quantize(Decimal(1).scaleb(-settings.MONEY_DECIMAL_PLACES))
