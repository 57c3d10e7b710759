"""Read models of the accounts app for screens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hutor.accounts.models import BillingAccount, User
from hutor.core import reads, statements
from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import LedgerAccount


@dataclass(frozen=True, slots=True)
class PanelAccount:
    """What the panel's home page shows of the customer's billing account, with its balance
    and total of credited payments (the ledger's cached figures)."""

    pk: int
    number: str
    name: str
    currency: str
    created_at: dt.datetime
    balance: Money
    credited: Money


def _panel_account_sql() -> str:
    a, ledger = BillingAccount, LedgerAccount
    return (
        f"SELECT {reads.column(a, 'id', 'a')}, {reads.column(a, 'number', 'a')}, "  # noqa: S608
        f"{reads.column(a, 'name', 'a')}, {reads.column(a, 'currency', 'a')}, "
        f"{reads.column(a, 'created_at', 'a')}, {reads.column(ledger, 'balance', 'l')}, "
        f"{reads.column(ledger, 'credited', 'l')} "
        f"FROM {reads.table(a)} a LEFT JOIN {reads.table(ledger)} l "
        f"ON {reads.column(ledger, 'billing_account', 'l')} = {reads.column(a, 'id', 'a')} "
        f"WHERE {reads.column(a, 'user', 'a')} = %s"
    )


_PANEL_ACCOUNT = reads.Read(
    _panel_account_sql,
    [
        None,
        None,
        None,
        None,
        reads.field(BillingAccount, "created_at"),
        reads.field(LedgerAccount, "balance"),
        reads.field(LedgerAccount, "credited"),
    ],
)


def panel_account(user_id: int | None) -> PanelAccount | None:
    """The billing account of the login `user_id` (None: a staff login has none), one indexed
    lookup joined to its ledger account's row."""
    rows = _PANEL_ACCOUNT.rows([user_id or 0])
    if not rows:
        return None
    pk, number, name, currency, created_at, balance, credited = rows[0]
    balance_money, credited_money = ledger_queries.cached_figures(balance, credited, currency)
    return PanelAccount(pk, number, name, currency, created_at, balance_money, credited_money)


def _login_user_sql() -> str:
    user = statements.columns(User)
    return f"SELECT {user.sql} FROM {reads.table(User)} WHERE {reads.column(User, 'id')} = %s"  # noqa: S608


_LOGIN_USER = reads.Read(_login_user_sql, [])


def login_user(user_id: int | str) -> User | None:
    """The login `user_id` as the ORM's `User.objects.get(pk=...)` would have built it (every
    field, converted), or None: the authentication backend's read of the session's user on
    every request, by one fixed statement instead of a queryset compiled each time. A key
    given as text is made a number first, as the ORM's lookup makes it."""
    rows = _LOGIN_USER.rows([int(user_id)])
    if not rows:
        return None
    user: User = statements.columns(User).build(rows[0])
    return user


def _login_number_sql() -> str:
    a = BillingAccount
    return (
        f"SELECT {reads.column(a, 'number')} FROM {reads.table(a)} "  # noqa: S608
        f"WHERE {reads.column(a, 'user')} = %s"
    )


_LOGIN_NUMBER = reads.Read(_login_number_sql, [None])


def login_number(user_id: int) -> str:
    """The billing account number of the login `user_id` ("" for a login without one: staff),
    for the log lines of each of its requests (ops.middleware), by one fixed statement."""
    rows = _LOGIN_NUMBER.rows([user_id])
    return str(rows[0][0]) if rows else ""
