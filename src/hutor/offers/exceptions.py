"""What the offer's actions refuse, with a message in the reader's language."""


class OfferError(Exception):
    """A refused change (a number taken, a published version edited)."""
