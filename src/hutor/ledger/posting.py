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
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Model

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock
from hutor.core.money import Money
from hutor.ledger.actions import (
    ADJUSTING_KINDS,
    AccountSpec,
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
    it touched as locked (keyed by code and currency), their balances after the entry."""

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
    """
    if kind in ADJUSTING_KINDS:
        raise ValueError(f"{kind} entries are announced: post them with post()")
    _validate(lines)
    if not connection.in_atomic_block:
        raise RuntimeError("post_one() runs inside the caller's transaction")
    if billing_account is not None and not billing_account_locked:
        lock_billing_account(billing_account)
    accounts = _lock_accounts([spec for spec, _money in lines])
    draft = EntryDraft(
        lines=[(accounts[spec.code, spec.currency], money) for spec, money in lines],
        kind=kind,
        idempotency_key=idempotency_key,
    )
    locked = {a.pk: (a.code, a.balance, a.credited, a.min_balance) for a in accounts.values()}
    with connection.cursor() as cursor:
        try:
            _results, _new, changed = _apply([draft], locked, {})
        except InsufficientFunds:
            # A replay is answered even when its lines would now overdraw (post_many looks the
            # key up before applying; here the key is taken by the INSERT below).
            existing = _entry_with_key(cursor, idempotency_key)
            if existing is not None:
                return Posted(existing, False, accounts)
            raise
        ops = connection.ops
        cursor.execute(
            f"INSERT INTO {_table(JournalEntry)} (created_at, kind, memo, reference, "  # noqa: S608
            "billing_account_id, idempotency_key, created_by_id) VALUES (%s, %s, %s, %s, %s, %s, "
            "NULL) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [
                ops.adapt_datetimefield_value(clock.now()),
                kind,
                memo[:300],
                reference,
                billing_account.pk if billing_account is not None else None,
                idempotency_key,
            ],
        )
        row = cursor.fetchone()
        if row is None:  # the key is posted (by a transaction that committed while we waited)
            existing = _entry_with_key(cursor, idempotency_key)
            if existing is None:  # pragma: no cover - ON CONFLICT fired on the key
                raise RuntimeError("an idempotency key conflicted but is not found")
            return Posted(existing, False, accounts)
        entry_id = row[0]
        places = settings.MONEY_DECIMAL_PLACES
        cursor.execute(
            f"INSERT INTO {_table(Posting)} (entry_id, account_id, amount, currency) "  # noqa: S608
            "VALUES " + ", ".join(["(%s, %s, %s, %s)"] * len(lines)),
            [
                value
                for account, money in draft.lines
                for value in (
                    entry_id,
                    account.pk,
                    ops.adapt_decimalfield_value(money.amount, settings.MONEY_MAX_DIGITS, places),
                    money.currency,
                )
            ],
        )
    by_pk = {account.pk: account for account in accounts.values()}
    for balance, credited, pk in changed:
        by_pk[pk].balance, by_pk[pk].credited = balance, credited
    _write_balances(changed)
    return Posted(entry_id, True, accounts)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _entry_with_key(cursor: Any, key: str | None) -> int | None:
    if key is None:
        return None
    cursor.execute(f"SELECT id FROM {_table(JournalEntry)} WHERE idempotency_key = %s", [key])  # noqa: S608
    row = cursor.fetchone()
    return None if row is None else int(row[0])


def _lock_accounts(specs: Sequence[AccountSpec]) -> dict[tuple[str, str], LedgerAccount]:
    """The ledger accounts of `specs`, locked in primary-key order (made first if missing)."""
    named = {(spec.code, spec.currency): spec for spec in specs}
    sql = (
        f"SELECT id, code, currency, balance, credited, min_balance FROM {_table(LedgerAccount)} "  # noqa: S608
        "WHERE " + " OR ".join(["(code = %s AND currency = %s)"] * len(named)) + " ORDER BY id"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    params = [value for key in named for value in key]
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
