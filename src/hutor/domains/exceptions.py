class DomainsError(Exception):
    """Base of the domains app's errors that carry a message fit for the person who caused them."""


class ContactProfileInUse(DomainsError):
    """A contact profile a live domain is registered to cannot be deleted."""
