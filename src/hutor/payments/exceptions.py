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


class NotificationIgnored(NotificationRejected):
    """A genuine notification about something Hutor does not act on (another event type, a
    session not paid yet): nothing is credited, and the gateway answers it as received so the
    service does not redeliver it for days.

    The views hand a gateway only the reason (`gateway.rejected(exc.reason)`), so the reason
    carries the mark: a gateway's `rejected()` tells these apart with `is_ignored(reason)`."""

    PREFIX = "ignored: "

    def __init__(self, what: str) -> None:
        super().__init__(self.PREFIX + what)

    @classmethod
    def is_ignored(cls, reason: str) -> bool:
        return reason.startswith(cls.PREFIX)


class RefundUnanswered(PaymentError):
    """The payment service gave no answer to a refund request (timeout, network, its own
    error): the refund stays pending and is asked again with the same idempotency key."""
