class ServiceError(Exception):
    """Base of service refusals, with a message fit for the person who asked."""


class InvalidIdentifier(ServiceError):
    """A domain name or hostname that is malformed or does not fit the tariff."""


class ServiceNotPending(ServiceError):
    """Only an order that is not yet paid can be cancelled."""
