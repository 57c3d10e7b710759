from __future__ import annotations

import pytest

from hutor.ledger import actions
from hutor.ledger.models import LedgerAccount


@pytest.fixture
def billing_account(account_factory):
    return account_factory()


@pytest.fixture
def customer(billing_account) -> LedgerAccount:
    """The ledger balance of a freshly opened RUB billing account."""
    return actions.customer_account(billing_account)


@pytest.fixture
def clearing(db) -> LedgerAccount:
    return actions.clearing_account("card", "RUB")


@pytest.fixture
def revenue(db) -> LedgerAccount:
    return actions.revenue_account("vps", "RUB")


@pytest.fixture
def adjustments(db) -> LedgerAccount:
    return actions.adjustments_account("RUB")
