class PaymentError(Exception):
    """Base of payment refusals, with a message fit for the person who asked."""


class InvalidTopUp(PaymentError):
    """An amount outside the method's limits, a disabled method, another currency."""


class NotificationRejected(PaymentError):
    """A payment service's notification failed verification; nothing was credited.

    `reason` is short and safe to log and to answer with (no secrets)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
