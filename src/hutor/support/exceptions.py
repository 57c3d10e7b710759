"""What the support center's actions refuse, with a message for the person who asked."""


class SupportError(Exception):
    """A ticket action was refused; str() is the reason in the active language."""


class BadAttachment(SupportError):
    """An attached file is too large, of a type not accepted, or one too many."""


class TransitionNotAllowed(SupportError):
    """The ticket's status does not allow this change."""
