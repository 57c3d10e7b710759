"""Read models of the accounts app for screens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hutor.accounts.models import BillingAccount
from hutor.core import reads
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
