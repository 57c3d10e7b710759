class ServiceError(Exception):
    """Base of service refusals, with a message fit for the person who asked."""


class InvalidIdentifier(ServiceError):
    """A domain name or hostname that is malformed or does not fit the tariff."""


class ServiceNotPending(ServiceError):
    """Only an order that is not yet paid can be cancelled."""


class RenewalNotAllowed(ServiceError):
    """A terminated, cancelled or not yet paid service cannot be renewed."""


class TariffChangeNotAllowed(ServiceError):
    """The new tariff is of another type, the same tariff, or has no price for the period."""
