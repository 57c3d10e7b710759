"""Verification of the ledger's invariants (`hutor ledger check`) in as few passes over the
postings as the invariants allow.

The full check (the default) reads the postings once on PostgreSQL (_one_pass: GROUPING SETS
per entry and per account in one aggregate) and twice on SQLite, which has no grouping sets:

- the entry pass: every journal entry with its postings (a merge of the two primary-key/entry
  indexes), grouped per entry: count, sum, lowest and highest currency. It yields "each entry
  sums to zero" and "each entry has at least two postings";
- the account pass: every posting with its entry's kind, grouped per account and currency, then
  joined to the accounts: sum, sum of top-up postings, zero amounts, postings in another
  currency. It yields the cached balance, the cached total credited, the limit, the postings'
  validity (its count; the examples, when there are any, by one query more), and the totals.

Each pass returns only broken rows, at most SAMPLE examples per invariant, each carrying the count
of all broken rows of its invariant (window functions computed before the cut): the count and the
examples come from the same pass. On a sound ledger the passes return one row (the totals).

An entry in several currencies (post() allows one; none is written today) cannot be judged by
its overall sum: when the entry pass meets one, "sums to zero" is checked by one exact query per
(entry, currency) instead.

`run(since=day)` checks only the journal entries created from the start of that day (the
provider's time zone) and their postings, found through the entries' `created_at` index and the
postings' `entry_id` index; the cached figures (balance, total credited) of the customer balances
those postings touched are compared with the sums of all of those accounts' postings, read
through the postings' account index; the limits are checked on every account (one small table).
The few shared accounts (clearing, revenue, bank, adjustments) carry the other side of every
entry, so their sums are the whole history: only the full check (the default) covers them.

On PostgreSQL the check runs in one transaction, without JIT, and with `work_mem` raised
(WORK_MEM) for the one pass, so that its hash table (one row per account and currency) stays in
memory instead of spilling to disk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
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
        f"HAVING ROUND(SUM(p.amount), {PLACES}) <> 0 ORDER BY p.entry_id, p.currency",
        scope.params,
        ENTRY_SUMS_TO_ZERO,
        lambda entry, currency, total: f"entry #{entry}: {currency} sums to {_fmt(total)}",
    )


def _flagged(
    rows: Sequence[tuple[Any, ...]], flags: Sequence[tuple[str, int, Callable[..., str]]]
) -> list[Violation]:
    """Violations from a pass's rows: `flags` names, per invariant, the index of its 0/1 flag
    column; the count of all its broken rows is the column after the flag (a window total)."""
    violations = []
    for invariant, flag, example in flags:
        broken = [row for row in rows if row[flag]]
        if broken:
            examples = [example(row) for row in broken[:SAMPLE]]
            violations.append(Violation(invariant, int(broken[0][flag + 1]), examples))
    return violations


def _sample(columns: str, flags: Sequence[str], order: str) -> tuple[str, str]:
    """The SELECT list that adds, for each 0/1 flag column, its total over all rows and its
    row number among the flagged rows; and the condition keeping at most SAMPLE rows per flag
    (the windows are computed before that condition cuts, so the totals count every row)."""
    windows = ", ".join(
        f"{flag}, SUM({flag}) OVER () AS {flag}_count, "
        f"ROW_NUMBER() OVER (PARTITION BY {flag} ORDER BY {order}) AS {flag}_n"
        for flag in flags
    )
    keep = " OR ".join(f"({flag} = 1 AND {flag}_n <= {SAMPLE})" for flag in flags)
    return f"SELECT {columns}, {windows}", keep


def _entry_pass(scope: _Scope, currency: str | None = None) -> list[Violation]:
    """Each entry sums to zero and has two postings or more: one pass over the entries checked,
    each with its postings (entries without any included), keeping the broken ones.

    `multi` flags an entry in several currencies, whose overall sum says nothing: if there is
    one, the sums are checked per (entry, currency) by _entries_sum_to_zero instead. When every
    posting is known to be in one `currency` (the account pass says so), no entry can be in
    several, and the pass spares the lowest and highest currency of each entry (a third of its
    time on PostgreSQL)."""
    where = "1 = 1" if scope.since is None else "e.created_at >= %s"
    rounded = f"ROUND(SUM(p.amount), {PLACES})"
    if currency is None:
        lowest, multi = "MIN(p.currency)", "MIN(p.currency) <> MAX(p.currency)"
        params = scope.params
    else:
        lowest, multi = "%s", "1 = 0"
        params = [currency, *scope.params]
    select, keep = _sample("id, postings, currency, total", ["unbalanced", "few", "multi"], "id")
    sql = (
        f"SELECT * FROM ({select} FROM ("  # noqa: S608
        f"SELECT e.id, COUNT(p.id) AS postings, {lowest} AS currency, {rounded} AS total, "
        f"CASE WHEN {multi} THEN 1 ELSE 0 END AS multi, "
        f"CASE WHEN NOT ({multi}) AND {rounded} <> 0 THEN 1 ELSE 0 END "
        "AS unbalanced, CASE WHEN COUNT(p.id) < 2 THEN 1 ELSE 0 END AS few "
        "FROM ledger_journalentry e LEFT JOIN ledger_posting p ON p.entry_id = e.id "
        f"WHERE {where} GROUP BY e.id HAVING COUNT(p.id) < 2 OR {rounded} <> 0 "
        f"OR {multi}) g) x "
        f"WHERE {keep} ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    # Columns: id, postings, currency, total, then (flag, count, n) for each flag.
    violations = _flagged(
        rows,
        [
            (
                ENTRY_SUMS_TO_ZERO,
                4,
                lambda r: f"entry #{r[0]}: {r[2]} sums to {_fmt(r[3])}",
            ),
            (TWO_POSTINGS, 7, lambda r: f"entry #{r[0]}: {r[1]} posting(s)"),
        ],
    )
    if any(row[10] for row in rows):  # an entry in several currencies: sums per currency
        violations = [v for v in violations if v.invariant != ENTRY_SUMS_TO_ZERO]
        violations[:0] = [v for v in [_entries_sum_to_zero(scope)] if v is not None]
    return violations


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


def _account_pass() -> tuple[list[Violation], int, int, str | None]:
    """The full check's per-account invariants in one pass over every posting (with its
    entry's kind): the cached balance, the cached total credited, the limit and the postings'
    validity; the number of postings and accounts; and the currency of every posting when they
    are all in one (None otherwise). The postings are grouped per account and currency (a
    posting in another currency than its account's is invalid), then per account.

    The row of the first account is always kept: it carries the totals."""
    kinds = ", ".join(["%s"] * len(PAYMENT_KINDS))
    flags = ["bad_balance", "bad_credited", "bad_limit", "bad_postings"]
    select, keep = _sample(
        "id, code, currency, balance, posted, credited, posted_credited, min_balance", flags, "id"
    )
    sql = (
        "WITH s AS (SELECT p.account_id, p.currency, COUNT(*) AS n, "  # noqa: S608
        "SUM(p.amount) AS total, "
        f"SUM(CASE WHEN e.kind IN ({kinds}) AND p.amount > 0 THEN p.amount ELSE 0 END) "
        "AS credited, SUM(CASE WHEN p.amount = 0 THEN 1 ELSE 0 END) AS zeros "
        "FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id "
        "GROUP BY p.account_id, p.currency), "
        "t AS (SELECT a.id, a.code, a.currency, a.balance, a.credited, a.min_balance, "
        f"ROUND(COALESCE(SUM(s.total), 0), {PLACES}) AS posted, "
        f"ROUND(COALESCE(SUM(s.credited), 0), {PLACES}) AS posted_credited, "
        "COALESCE(SUM(s.n), 0) AS postings, MIN(s.currency) AS lowest, "
        "MAX(s.currency) AS highest, "
        "COALESCE(SUM(CASE WHEN s.currency <> a.currency THEN s.n ELSE s.zeros END), 0) "
        "AS invalid FROM ledger_ledgeraccount a LEFT JOIN s ON s.account_id = a.id "
        "GROUP BY a.id, a.code, a.currency, a.balance, a.credited, a.min_balance), "
        "f AS (SELECT t.*, CASE WHEN balance <> posted THEN 1 ELSE 0 END AS bad_balance, "
        "CASE WHEN credited <> posted_credited THEN 1 ELSE 0 END AS bad_credited, "
        "CASE WHEN min_balance IS NOT NULL AND balance < min_balance THEN 1 ELSE 0 END "
        "AS bad_limit, CASE WHEN invalid > 0 THEN 1 ELSE 0 END AS bad_postings FROM t) "
        f"SELECT * FROM ({select}, SUM(postings) OVER () AS all_postings, "
        "COUNT(*) OVER () AS all_accounts, MIN(lowest) OVER () AS all_lowest, "
        "MAX(highest) OVER () AS all_highest, ROW_NUMBER() OVER (ORDER BY id) AS n FROM f) x "
        f"WHERE {keep} OR n = 1 ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(kind) for kind in PAYMENT_KINDS])
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    if not rows:  # no account, hence no posting
        return [], 0, 0, None
    # Columns: id, code, currency, balance, posted, credited, posted_credited, min_balance,
    # (flag, count, n) for each flag, all_postings, all_accounts, all_lowest, all_highest, n.
    violations = _flagged(
        rows,
        [
            (
                CACHED_BALANCE,
                8,
                lambda r: (
                    f"{_account(r[1], r[2])}: cached {_fmt(r[3])}, postings sum to {_fmt(r[4])}"
                ),
            ),
            (
                CACHED_CREDITED,
                11,
                lambda r: (
                    f"{_account(r[1], r[2])}: cached credited {_fmt(r[5])}, "
                    f"top-up postings sum to {_fmt(r[6])}"
                ),
            ),
            (
                LIMIT,
                14,
                lambda r: f"{_account(r[1], r[2])}: balance {_fmt(r[3])}, limit {_fmt(r[7])}",
            ),
        ],
    )
    if rows[0][18]:  # invalid postings: their examples come from the postings themselves
        invalid = _postings_valid(_Scope(since=None))
        violations[:0] = [invalid] if invalid is not None else []
    lowest, highest = rows[0][22], rows[0][23]
    currency = lowest if lowest is not None and lowest == highest else None
    return violations, int(rows[0][20]), int(rows[0][21]), currency


# The one pass's rows: (flag, id, code, currency, x, y, count of the flag's rows); at most SAMPLE
# rows per flag, in id order. For each flag: the invariant it breaks and its example's text.
_ONE_PASS_FLAGS: dict[str, tuple[str, Callable[..., str]]] = {
    "unbalanced": (
        ENTRY_SUMS_TO_ZERO,
        lambda entry, _c, currency, total, _y: f"entry #{entry}: {currency} sums to {_fmt(total)}",
    ),
    "few": (TWO_POSTINGS, lambda entry, _c, _cur, n, _y: f"entry #{entry}: {n} posting(s)"),
    "balance": (
        CACHED_BALANCE,
        lambda _id, code, currency, cached, posted: (
            f"{_account(code, currency)}: cached {_fmt(cached)}, postings sum to {_fmt(posted)}"
        ),
    ),
    "credited": (
        CACHED_CREDITED,
        lambda _id, code, currency, cached, posted: (
            f"{_account(code, currency)}: cached credited {_fmt(cached)}, "
            f"top-up postings sum to {_fmt(posted)}"
        ),
    ),
    "limit": (
        LIMIT,
        lambda _id, code, currency, balance, limit: (
            f"{_account(code, currency)}: balance {_fmt(balance)}, limit {_fmt(limit)}"
        ),
    ),
}


def _one_pass() -> tuple[list[Violation], int, int, int]:
    """PostgreSQL's full check in one pass over the postings: the entries merge-joined with their
    postings (entries without any included), grouped by GROUPING SETS per entry and per
    (account, currency) in one MixedAggregate (entries streamed in index order, accounts hashed).
    Per entry: "sums to zero", "at least two postings"; per account, joined to the accounts: the
    cached balance and total credited, the limit, the postings' validity (counted; examples by
    one query more), as SQLite's two passes. It keeps the broken entries and every (account,
    currency), then at most SAMPLE rows per flag with the count of all, and a row of totals.

    An entry in several currencies (post() allows one; nothing writes one today) is summed per
    currency by _entries_sum_to_zero. When every account is in one currency (read first: a small
    table), the pass skips each entry's currencies (a sixth of its CPU at 10M postings) and falls
    back to that query if it meets postings in another (invalid) currency; otherwise it keeps each
    entry's lowest and highest currency (COLLATE "C": bytes, not the locale) and flags (`multi`)
    the entries in several, which send "sums to zero" to that query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(currency), MAX(currency) FROM ledger_ledgeraccount")
        first, last = cursor.fetchone()
    kinds = ", ".join(["%s"] * len(PAYMENT_KINDS))
    params: list[Any] = [str(kind) for kind in PAYMENT_KINDS]
    if first == last:  # one currency: every entry's is that one, until the totals say otherwise
        lowest, highest, several = "%s::text", "%s::text", "1 = 0"
        params = [first, first, *params]
    else:
        lowest, highest = 'MIN(p.currency COLLATE "C")', 'MAX(p.currency COLLATE "C")'
        several = f"{lowest} <> {highest}"
    sql = (
        "WITH g AS (SELECT GROUPING(e.id) AS per_account, e.id AS entry_id, p.account_id, "  # noqa: S608
        "p.currency, COUNT(p.id) AS n, SUM(p.amount) AS total, "
        f"{lowest} AS lowest, {highest} AS highest, "
        f"SUM(p.amount) FILTER (WHERE e.kind IN ({kinds}) AND p.amount > 0) AS credited, "
        "COUNT(*) FILTER (WHERE p.amount = 0) AS zeros "
        "FROM ledger_journalentry e LEFT JOIN ledger_posting p ON p.entry_id = e.id "
        "GROUP BY GROUPING SETS ((e.id), (p.account_id, p.currency)) "
        "HAVING GROUPING(e.id) = 1 OR COUNT(p.id) < 2 OR SUM(p.amount) <> 0 "
        f"OR {several}), "
        "t AS (SELECT a.id, a.code, a.currency, a.balance, a.credited, a.min_balance, "
        "COALESCE(SUM(s.total), 0) AS posted, COALESCE(SUM(s.credited), 0) AS posted_credited, "
        "COALESCE(SUM(s.n), 0) AS postings, MIN(s.currency) AS lowest, "
        "MAX(s.currency) AS highest, "
        "COALESCE(SUM(CASE WHEN s.currency <> a.currency THEN s.n ELSE s.zeros END), 0) "
        "AS invalid FROM ledger_ledgeraccount a "
        "LEFT JOIN g s ON s.per_account = 1 AND s.account_id = a.id "
        "GROUP BY a.id, a.code, a.currency, a.balance, a.credited, a.min_balance), "
        "b AS (SELECT 'unbalanced' AS flag, entry_id AS id, NULL::text AS code, "
        "lowest AS currency, total AS x, NULL::numeric AS y FROM g "
        "WHERE per_account = 0 AND lowest = highest AND total <> 0 "
        "UNION ALL SELECT 'few', entry_id, NULL, NULL, n, NULL FROM g "
        "WHERE per_account = 0 AND n < 2 "
        "UNION ALL SELECT 'multi', entry_id, NULL, NULL, NULL, NULL FROM g "
        "WHERE per_account = 0 AND lowest <> highest "
        "UNION ALL SELECT 'balance', id, code, currency, balance, posted FROM t "
        "WHERE balance <> posted "
        "UNION ALL SELECT 'credited', id, code, currency, credited, posted_credited FROM t "
        "WHERE credited <> posted_credited "
        "UNION ALL SELECT 'limit', id, code, currency, balance, min_balance FROM t "
        "WHERE min_balance IS NOT NULL AND balance < min_balance "
        "UNION ALL SELECT 'invalid', id, NULL, NULL, NULL, NULL FROM t WHERE invalid > 0) "
        "SELECT flag, id, code, currency, x, y, total FROM (SELECT b.*, "
        "COUNT(*) OVER (PARTITION BY flag) AS total, "
        "ROW_NUMBER() OVER (PARTITION BY flag ORDER BY id) AS n FROM b) w "
        f"WHERE n <= {SAMPLE} "
        # The totals: entries, the postings' lowest and highest currency, postings, accounts.
        "UNION ALL SELECT 'totals', (SELECT COUNT(*) FROM ledger_journalentry), MIN(lowest), "
        "MAX(highest), SUM(postings), COUNT(*), 0 FROM t ORDER BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row)
    [(_totals, entries, lowest_posted, highest_posted, postings, accounts, _n)] = found.pop(
        "totals"
    )
    violations = []
    for flag, (invariant, example) in _ONE_PASS_FLAGS.items():
        if flag in found:
            broken = found[flag]
            violations.append(
                Violation(invariant, int(broken[0][-1]), [example(*row[1:6]) for row in broken])
            )
    if first == last:  # postings in another currency than the accounts' one (invalid ones)
        exact = (lowest_posted, highest_posted) not in {(first, first), (None, None)}
    else:
        exact = "multi" in found
    if exact:  # an entry may be in several currencies: sums per (entry, currency)
        violations = [v for v in violations if v.invariant != ENTRY_SUMS_TO_ZERO]
        violations[:0] = [v for v in [_entries_sum_to_zero(_Scope(since=None))] if v is not None]
    if "invalid" in found:  # their examples come from the postings themselves
        invalid = _postings_valid(_Scope(since=None))
        at = sum(v.invariant in (ENTRY_SUMS_TO_ZERO, TWO_POSTINGS) for v in violations)
        violations[at:at] = [invalid] if invalid is not None else []
    return violations, int(entries), int(postings or 0), int(accounts)


def _totals(scope: _Scope) -> tuple[int, int, int]:
    """Entries, postings and accounts checked with `since`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM ledger_journalentry WHERE created_at >= %s), "
            "COUNT(*), COUNT(DISTINCT p.account_id) FROM ledger_posting p "
            "JOIN ledger_journalentry se ON se.id = p.entry_id WHERE se.created_at >= %s",
            [scope.since, scope.since],
        )
        entries, postings, accounts = cursor.fetchone()
    return int(entries), int(postings), int(accounts)


# Memory for one sort or hash table of the account pass on PostgreSQL (the server's default,
# 4MB, made it spill its 100,000 accounts to disk in 21 batches): a one-off maintenance command
# can take more than a web request.
WORK_MEM = "256MB"


@contextmanager
def _work_mem() -> Iterator[None]:
    """WORK_MEM for the statements inside (PostgreSQL), then the transaction's value again."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('work_mem'), set_config('work_mem', %s, true)", [WORK_MEM]
        )
        (before, _now) = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [before])


@contextmanager
def _session() -> Iterator[None]:
    """PostgreSQL: one transaction, for its settings (no JIT, WORK_MEM) to hold in it alone. SQLite:
    nothing (a transaction there is BEGIN IMMEDIATE, which would stop every writer for
    the check's duration)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # Compiling the entry pass's expressions took 1.7 s of its 37 s at 10M postings and
        # won nothing back (18.2 s with, 18.9 s without, same load).
        cursor.execute("SELECT set_config('jit', 'off', true)")
        yield


def run(*, since: dt.date | None = None) -> Report:
    """Check every invariant (or, with `since`, those of the entries created from that day on
    and of the accounts they touched); return the counts checked and what is broken."""
    start = None
    if since is not None:
        moment = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        start = connection.ops.adapt_datetimefield_value(moment)
    scope = _Scope(since=start)
    with _session():
        if scope.since is None and connection.vendor == "postgresql":
            with _work_mem():
                violations, entries, postings, accounts = _one_pass()
        elif scope.since is None:
            with _work_mem():
                per_account, postings, accounts, currency = _account_pass()
            violations = _entry_pass(scope, currency) + per_account
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM ledger_journalentry")
                entries = int(cursor.fetchone()[0])
        else:
            checks = (_postings_valid, _balances, _credited, _limits)
            violations = _entry_pass(scope)
            violations += [v for check in checks if (v := check(scope)) is not None]
            entries, postings, accounts = _totals(scope)
    return Report(entries=entries, postings=postings, accounts=accounts, violations=violations)
