class LedgerError(Exception):
    """Base of ledger refusals. A refused entry writes nothing."""


class UnbalancedEntry(LedgerError):
    """The postings of an entry do not sum to zero in each currency."""


class InvalidPosting(LedgerError):
    """A posting is zero, or its currency differs from its ledger account's."""


class InsufficientFunds(LedgerError):
    """The entry would take a ledger account below its allowed limit."""

    def __init__(self, account_code: str, balance: object, limit: object) -> None:
        self.account_code = account_code
        self.balance = balance
        self.limit = limit
        super().__init__(
            f"{account_code}: the balance would become {balance}, below its limit {limit}"
        )


class ImmutableLedger(LedgerError):
    """Journal entries and postings are never updated or deleted; post a reversing entry."""
