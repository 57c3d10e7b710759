from __future__ import annotations


class WebhookError(Exception):
    """A webhook change refused; the message is for the person asking."""
