"""What the knowledge base's actions refuse, with a message in the reader's language."""


class KbError(Exception):
    """A refused change (an address taken, an article already published)."""
