class NotificationError(Exception):
    """An email action refused; the message is shown to staff as is."""
