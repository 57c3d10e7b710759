class AccountError(Exception):
    """Base of billing-account errors that carry a message fit for the person who caused them."""


class EmailAlreadyRegistered(AccountError):
    """An account with this email exists: its owner must log in instead of opening another."""
