"""Why a desk action was refused; the message is shown to the staff member as it is."""


class DeskError(Exception):
    """An action could not be done; nothing was changed."""


class ReasonRequired(DeskError):
    """Every desk action says why it was done."""


class AlreadyDone(DeskError):
    """The same form was submitted twice (a double click, a reload): the first one counted."""
