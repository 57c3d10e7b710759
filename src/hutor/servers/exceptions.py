class ServerError(Exception):
    """A refused change of a server or server group, with a message for the person asking."""
