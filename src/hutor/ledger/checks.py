"""Verification of the ledger's invariants (`hutor ledger check`), one SQL query per invariant.

Each query returns the broken rows, at most SAMPLE of them as examples, each carrying the count
of all broken rows (`COUNT(*) OVER ()`, computed before the LIMIT): one pass per invariant gives
both the count and the examples. On a sound ledger each query returns nothing.

`run(since=day)` checks only the journal entries created from the start of that day (the
provider's time zone) and their postings, found through the entries' `created_at` index and the
postings' `entry_id` index; the cached figures (balance, total credited) of the customer balances
those postings touched are compared with the sums of all of those accounts' postings, read
through the postings' account index; the limits are checked on every account (one small table).
The few shared accounts (clearing, revenue, bank, adjustments) carry the other side of every
entry, so their sums are the whole history: only the full check (the default) covers them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from hutor.ledger.models import PAYMENT_KINDS, LedgerAccountKind

SAMPLE = 10
CENT = Decimal(1).scaleb(-settings.MONEY_DECIMAL_PLACES)
PLACES = settings.MONEY_DECIMAL_PLACES

ENTRY_SUMS_TO_ZERO = "each journal entry sums to zero per currency"
TWO_POSTINGS = "each journal entry has at least two postings"
POSTING_VALID = "postings are non-zero and in their account's currency"
CACHED_BALANCE = "each cached balance equals the sum of its postings"
CACHED_CREDITED = "each cached total credited equals the sum of its top-up postings"
LIMIT = "no balance below its allowed limit"


def _fmt(value: object) -> str:
    # SQLite returns sums and NUMERIC columns as int or float; PostgreSQL as Decimal.
    return str(Decimal(str(value)).quantize(CENT))


def _account(code: str, currency: str) -> str:
    return f"{code} ({currency})"  # LedgerAccount.__str__


@dataclass
class Violation:
    invariant: str
    count: int
    examples: list[str] = field(default_factory=list)


@dataclass
class Report:
    entries: int
    postings: int
    accounts: int
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class _Scope:
    """SQL fragments that narrow each query to the entries checked (all, or those since a day)."""

    since: Any  # the database's value for the first moment checked, or None for all

    @property
    def params(self) -> list[Any]:
        return [] if self.since is None else [self.since]

    def postings(self) -> tuple[str, str]:
        """FROM-clause tail and WHERE condition for the postings (aliased p) checked."""
        if self.since is None:
            return "", "1 = 1"
        return " JOIN ledger_journalentry se ON se.id = p.entry_id", "se.created_at >= %s"

    def touched(self) -> str:
        """A WITH clause naming the customer balances the checked postings touched."""
        if self.since is None:
            return ""
        return (
            "WITH touched AS (SELECT DISTINCT p.account_id FROM ledger_posting p "  # noqa: S608
            "JOIN ledger_journalentry se ON se.id = p.entry_id "
            "JOIN ledger_ledgeraccount ta ON ta.id = p.account_id "
            f"WHERE se.created_at >= %s AND ta.kind = '{LedgerAccountKind.CUSTOMER_BALANCE}') "
        )


def _query(
    sql: str, params: Sequence[Any], invariant: str, example: Callable[..., str]
) -> Violation | None:
    """Run one invariant's query: its rows are broken ones with their total count last."""
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", [*params, SAMPLE])
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    if not rows:
        return None
    return Violation(invariant, int(rows[0][-1]), [example(*row[:-1]) for row in rows])


def _entries_sum_to_zero(scope: _Scope) -> Violation | None:
    join, where = scope.postings()
    return _query(
        f"SELECT p.entry_id, p.currency, ROUND(SUM(p.amount), {PLACES}), COUNT(*) OVER () "  # noqa: S608
        f"FROM ledger_posting p{join} WHERE {where} GROUP BY p.entry_id, p.currency "
        f"HAVING ROUND(SUM(p.amount), {PLACES}) <> 0 ORDER BY p.entry_id",
        scope.params,
        ENTRY_SUMS_TO_ZERO,
        lambda entry, currency, total: f"entry #{entry}: {currency} sums to {_fmt(total)}",
    )


def _entries_have_two_postings(scope: _Scope) -> Violation | None:
    where = "1 = 1" if scope.since is None else "e.created_at >= %s"
    return _query(
        "SELECT e.id, COUNT(p.id), COUNT(*) OVER () FROM ledger_journalentry e "  # noqa: S608
        f"LEFT JOIN ledger_posting p ON p.entry_id = e.id WHERE {where} "
        "GROUP BY e.id HAVING COUNT(p.id) < 2 ORDER BY e.id",
        scope.params,
        TWO_POSTINGS,
        lambda entry, n: f"entry #{entry}: {n} posting(s)",
    )


def _postings_valid(scope: _Scope) -> Violation | None:
    join, where = scope.postings()
    return _query(
        "SELECT p.id, p.entry_id, p.amount, p.currency, a.code, a.currency, COUNT(*) OVER () "  # noqa: S608
        f"FROM ledger_posting p JOIN ledger_ledgeraccount a ON a.id = p.account_id{join} "
        f"WHERE {where} AND (p.amount = 0 OR p.currency <> a.currency) ORDER BY p.id",
        scope.params,
        POSTING_VALID,
        lambda posting, entry, amount, currency, code, account_currency: (
            f"posting #{posting} of entry #{entry}: {_fmt(amount)} {currency} "
            f"on {_account(code, account_currency)}"
        ),
    )


def _cached_figure(
    scope: _Scope,
    *,
    column: str,
    sums: str,
    sum_params: Sequence[Any],
    invariant: str,
    example: Callable[..., str],
) -> Violation | None:
    """Accounts whose cached `column` differs from `sums` (a query of account_id, total over
    postings aliased p, with a WHERE clause to extend).

    The full check joins the accounts to one aggregate over all postings (one scan). With
    `since`, each touched customer's sum is a subquery of its own postings, found through the
    postings' account index, so the work follows the touched accounts' histories, not the
    table's size (an aggregate restricted to the touched accounts let PostgreSQL's planner,
    which cannot estimate that set, choose a scan of every posting)."""
    if scope.since is None:
        return _query(
            f"SELECT a.code, a.currency, a.{column}, "  # noqa: S608
            "COALESCE(s.total, 0), COUNT(*) OVER () FROM ledger_ledgeraccount a "
            f"LEFT JOIN ({sums} GROUP BY p.account_id) s ON s.account_id = a.id "
            f"WHERE a.{column} <> COALESCE(s.total, 0) ORDER BY a.id",
            sum_params,
            invariant,
            example,
        )
    per_account = sums.replace("SELECT p.account_id, ", "SELECT ", 1).replace(" AS total", "", 1)
    return _query(
        f"{scope.touched()}SELECT code, currency, cached, total, COUNT(*) OVER () FROM ("  # noqa: S608
        f"SELECT a.id, a.code, a.currency, a.{column} AS cached, "
        f"COALESCE(({per_account} AND p.account_id = a.id), 0) AS total "
        "FROM ledger_ledgeraccount a JOIN touched t ON t.account_id = a.id) x "
        "WHERE cached <> total ORDER BY id",
        [*scope.params, *sum_params],
        invariant,
        example,
    )


def _balances(scope: _Scope) -> Violation | None:
    return _cached_figure(
        scope,
        column="balance",
        sums=f"SELECT p.account_id, ROUND(SUM(p.amount), {PLACES}) AS total "  # noqa: S608
        "FROM ledger_posting p WHERE 1 = 1",
        sum_params=[],
        invariant=CACHED_BALANCE,
        example=lambda code, currency, cached, posted: (
            f"{_account(code, currency)}: cached {_fmt(cached)}, postings sum to {_fmt(posted)}"
        ),
    )


def _credited(scope: _Scope) -> Violation | None:
    kinds = ", ".join(["%s"] * len(PAYMENT_KINDS))
    return _cached_figure(
        scope,
        column="credited",
        sums=f"SELECT p.account_id, ROUND(SUM(p.amount), {PLACES}) AS total "  # noqa: S608
        "FROM ledger_posting p JOIN ledger_journalentry ke ON ke.id = p.entry_id "
        f"WHERE ke.kind IN ({kinds}) AND p.amount > 0",
        sum_params=[str(kind) for kind in PAYMENT_KINDS],
        invariant=CACHED_CREDITED,
        example=lambda code, currency, cached, posted: (
            f"{_account(code, currency)}: cached credited {_fmt(cached)}, "
            f"top-up postings sum to {_fmt(posted)}"
        ),
    )


def _limits(scope: _Scope) -> Violation | None:
    return _query(
        "SELECT code, currency, balance, min_balance, COUNT(*) OVER () "
        "FROM ledger_ledgeraccount WHERE min_balance IS NOT NULL AND balance < min_balance "
        "ORDER BY id",
        [],
        LIMIT,
        lambda code, currency, balance, limit: (
            f"{_account(code, currency)}: balance {_fmt(balance)}, limit {_fmt(limit)}"
        ),
    )


def _totals(scope: _Scope) -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        if scope.since is None:
            cursor.execute(
                "SELECT (SELECT COUNT(*) FROM ledger_journalentry), "
                "(SELECT COUNT(*) FROM ledger_posting), (SELECT COUNT(*) FROM ledger_ledgeraccount)"
            )
        else:
            cursor.execute(
                "SELECT (SELECT COUNT(*) FROM ledger_journalentry WHERE created_at >= %s), "
                "COUNT(*), COUNT(DISTINCT p.account_id) FROM ledger_posting p "
                "JOIN ledger_journalentry se ON se.id = p.entry_id WHERE se.created_at >= %s",
                [scope.since, scope.since],
            )
        entries, postings, accounts = cursor.fetchone()
    return int(entries), int(postings), int(accounts)


INVARIANTS = (
    _entries_sum_to_zero,
    _entries_have_two_postings,
    _postings_valid,
    _balances,
    _credited,
    _limits,
)


def run(*, since: dt.date | None = None) -> Report:
    """Check every invariant (or, with `since`, those of the entries created from that day on
    and of the accounts they touched); return the counts checked and what is broken."""
    start = None
    if since is not None:
        moment = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        start = connection.ops.adapt_datetimefield_value(moment)
    scope = _Scope(since=start)
    violations = [v for check in INVARIANTS if (v := check(scope)) is not None]
    entries, postings, accounts = _totals(scope)
    return Report(entries=entries, postings=postings, accounts=accounts, violations=violations)
